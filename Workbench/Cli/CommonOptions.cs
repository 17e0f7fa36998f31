using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Numina.Engine.Configuration;

namespace Numina.Workbench.Cli;

/// <summary>Options every verb shares, and the one place configuration is read.</summary>
public static class CommonOptions
{
    public static readonly Option<FileInfo?> Config = new("--config")
    {
        Description = "The configuration file (default: appsettings.json beside the executable).",
    };

    public static string ConfigPath(ParseResult parse) =>
        parse.GetValue(Config)?.FullName ?? Path.Combine(AppContext.BaseDirectory, "appsettings.json");

    public static IConfigurationRoot ReadConfiguration(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"The configuration file '{path}' does not exist.", path);
        return new ConfigurationBuilder().AddJsonFile(path, optional: false).AddEnvironmentVariables("NUMINA_").Build();
    }

    public static EngineOptions LoadEngineOptions(ParseResult parse)
    {
        var path = ConfigPath(parse);
        return EngineOptions.Load(ReadConfiguration(path), Path.GetDirectoryName(path));
    }
}
