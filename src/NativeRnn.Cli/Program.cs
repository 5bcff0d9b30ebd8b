using NativeRnn.Cli;
using Spectre.Console;

return NativeRnnProgram.Run(args, AnsiConsole.Console);
