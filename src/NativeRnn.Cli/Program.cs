using System;
using System.CommandLine;
using NativeRnn.Cli;

var seed = new Option<ulong>("--seed") { Description = "Seed for initialisation and data.", DefaultValueFactory = _ => 1 };
var iterations = new Option<int>("--iterations") { Description = "Training iterations.", DefaultValueFactory = _ => 600 };
var task = new Option<string>("--task") { Description = "Built-in task: sine (next-value forecasting of sine waves).", DefaultValueFactory = _ => "sine" };
task.AcceptOnlyFromAmong("sine");

var train = new Command("train", "Train a model on a built-in task and report its loss and a free-running forecast.")
{
    task,
    iterations,
    seed,
};
train.SetAction(result => SineTask.Run(result.GetValue(iterations), result.GetValue(seed), Console.Out));

var root = new RootCommand("nativernn: recurrent networks compiled to fixed-size, allocation-free .NET code.")
{
    train,
};
return root.Parse(args).Invoke();
