using System.CommandLine;

namespace NativeRnn.Cli.Commands;

/// <summary>The option shapes the commands share.</summary>
internal static class Options
{
    public static Option<string> Choice(string name, string defaultValue, string[] allowed, string description)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.AcceptOnlyFromAmong(allowed);
        return option;
    }

    public static Option<int> Positive(string name, int defaultValue, string description)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError($"{name} must be at least 1.");
            }
        });
        return option;
    }

    public static Option<ulong> Seed() => new("--seed") { Description = "Seed of the initialisation, the data and the sampling: the same seed gives the same run.", DefaultValueFactory = _ => 1 };
}
