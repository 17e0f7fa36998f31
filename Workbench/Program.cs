using System.CommandLine;
using Numina.Workbench.Cli;

// One executable: with no verb (or "serve") it starts the workbench; other verbs are command-line tools.
var root = new RootCommand("Numina Workbench: SC-TIR (self-consistency with tool-integrated reasoning) for math problems.");
var serve = ServeCommand.Create();
root.Subcommands.Add(serve);
root.Subcommands.Add(PresetsCommand.Create());
root.Subcommands.Add(CheckCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(SolveCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(GradeCommand.Create());
root.Subcommands.Add(QuantizeCommand.Create());
root.Subcommands.Add(RandomModelCommand.Create());
foreach (var option in serve.Options) root.Options.Add(option);
root.SetAction((parse, ct) => ServeCommand.RunAsync(parse, ct));
CliErrors.ReadNumbersStrictly(root);
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    // Bad options: each named in the form's words, on stderr; the help stays behind --help.
    foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {CliErrors.Explain(error)}");
    Console.Error.WriteLine($"Run '{CliErrors.CommandLine(parse)} --help' for the options.");
    return 2;
}
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is Numina.Engine.Settings.InvalidSettingsException or FileNotFoundException or InvalidDataException or ArgumentException or KeyNotFoundException or Numina.Engine.Models.Gguf.ModelFileException or InvalidOperationException or Numina.Engine.Models.ModelServerException)
{
    // Bad input gets a clear message, not a stack trace.
    Console.Error.WriteLine($"error: {CliErrors.Message(e)}");
    return 2;
}
