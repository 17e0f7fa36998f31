using System.CommandLine;
using System.Text.Json;
using Numina.Engine.Runs;

namespace Numina.Workbench.Cli;

/// <summary><c>Workbench presets</c>: every preset the configuration defines, as JSON.</summary>
public static class PresetsCommand
{
    public static Command Create()
    {
        var command = new Command("presets", "Print every preset (built-in and from the configuration) as JSON.");
        command.Options.Add(CommonOptions.Config);
        command.SetAction(parse =>
        {
            var options = CommonOptions.LoadEngineOptions(parse);
            Console.WriteLine(JsonSerializer.Serialize(options.Presets.All.OrderBy(p => p.Name), RunRecord.JsonOptions));
            return 0;
        });
        return command;
    }
}
