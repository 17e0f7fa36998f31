using System.CommandLine;
using Numina.Engine.Execution;
using Numina.Engine.Settings;

namespace Numina.Workbench.Cli;

/// <summary><c>Workbench check</c>: is the configured Python usable, in both execution modes, with numpy and sympy?</summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var command = new Command("check", "Check the configured Python interpreter in stateless and Jupyter mode.");
        command.Options.Add(CommonOptions.Config);
        command.SetAction(async (parse, ct) =>
        {
            var options = CommonOptions.LoadEngineOptions(parse);
            var preset = options.Preset();
            await using var executor = options.CreateExecutor();
            Console.WriteLine($"executor:    {executor.Facts.Name}");
            Console.WriteLine($"interpreter: {options.Python.Executable}");
            Console.WriteLine($"protections: {string.Join("; ", executor.Facts.ActiveProtections)}");
            Console.WriteLine($"not active:  {string.Join("; ", executor.Facts.MissingProtections)}");
            int failures = 0;
            foreach (var mode in Enum.GetValues<ExecutionMode>())
            {
                await using var session = await executor.OpenSessionAsync(CodeSessionOptions.From(preset, mode), ct);
                var result = await session.RunAsync("print(np.__version__, sp.__version__, math.factorial(5))", ct);
                var seen = ToolOutputFormatter.Result(result, preset);
                bool ok = result.Outcome == CellOutcome.Success && seen.EndsWith(" 120", StringComparison.Ordinal);
                failures += ok ? 0 : 1;
                Console.WriteLine($"{mode,-9} {(ok ? "ok" : "FAILED")}  numpy sympy 5! = {seen}  ({result.Elapsed.TotalMilliseconds:0} ms)");
            }
            return failures == 0 ? 0 : 1;
        });
        return command;
    }
}
