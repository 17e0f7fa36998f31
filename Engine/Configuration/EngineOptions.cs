using Microsoft.Extensions.Configuration;
using Numina.Engine.Answers;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using Numina.Engine.Execution.Sandbox;
using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Engine.Configuration;

/// <summary>
/// The engine's part of appsettings.json (<c>Engine:*</c>): run defaults, presets, Python, model and storage paths.
/// Loading checks everything and fails with every problem named, so a typo never silently becomes a default.
/// </summary>
public sealed record EngineOptions
{
    public required RunSettings Defaults { get; init; }
    public required string DefaultPreset { get; init; }
    public required PresetCatalog Presets { get; init; }
    public required PythonOptions Python { get; init; }
    public required SandboxOptions Sandbox { get; init; }
    /// <summary>Which executor runs code: the pythonnet sandbox, or a python3 child process per block/session.</summary>
    public ExecutorKind Executor { get; init; } = ExecutorKind.Sandbox;
    /// <summary>The GGUF model the workbench loads; a relative path is taken from the configuration file's folder.</summary>
    public required Models.Llama.LlamaModelOptions Model { get; init; }
    public string ModelPath => Model.Path;
    public string StoragePath { get; init; } = "";

    public Preset Preset(string? name = null) => Presets.Get(name ?? DefaultPreset);

    /// <summary>The configured code executor (the workbench holds one for its life).</summary>
    public ICodeExecutor CreateExecutor(Microsoft.Extensions.Logging.ILogger? log = null) => Executor switch
    {
        ExecutorKind.Sandbox => new SandboxExecutor(Sandbox, Python, log),
        ExecutorKind.Processes => new PythonExecutor(Python),
        _ => throw new ArgumentOutOfRangeException(nameof(Executor)),
    };

    /// <param name="baseDirectory">The configuration file's folder: relative model and storage paths start there.</param>
    public static EngineOptions Load(IConfiguration configuration, string? baseDirectory = null)
    {
        var engine = configuration.GetSection("Engine");
        var problems = new List<string>();

        var defaults = engine.GetSection("Defaults");
        var decoding = Bind(defaults, new DecodingSettings(), problems, "Engine:Defaults", ["Preset", "Execution", "AnswerPolicy"]);
        problems.AddRange(SettingsValidator.Check(decoding).Select(p => "Engine:Defaults: " + p));
        var execution = Enum<ExecutionMode>(defaults["Execution"], ExecutionMode.Stateless, "Engine:Defaults:Execution", problems);
        AnswerPolicy? policy = defaults["AnswerPolicy"] is { Length: > 0 } p
            ? Enum(p, AnswerPolicy.AimoInteger, "Engine:Defaults:AnswerPolicy", problems)
            : null;

        var presets = new List<Preset>(BuiltInPresets.All);
        foreach (var section in engine.GetSection("Presets").GetChildren())
        {
            var basedOnName = section["BasedOn"] ?? BuiltInPresets.Numina.Name;
            var basedOn = presets.LastOrDefault(x => string.Equals(x.Name, basedOnName, StringComparison.OrdinalIgnoreCase));
            if (basedOn is null)
            {
                problems.Add($"Engine:Presets:{section.Key}: BasedOn names an unknown preset '{basedOnName}'.");
                continue;
            }
            var preset = Bind(section, basedOn with { Name = section.Key, Description = "" }, problems, $"Engine:Presets:{section.Key}", ["BasedOn"]);
            problems.AddRange(preset.Check());
            presets.Add(preset);
        }

        var python = Bind(engine.GetSection("Python"), new PythonOptions(), problems, "Engine:Python", ["Executor"]);
        var executor = Enum(engine["Python:Executor"], ExecutorKind.Sandbox, "Engine:Python:Executor", problems);
        var sandbox = Bind(engine.GetSection("Sandbox"), new SandboxOptions(), problems, "Engine:Sandbox");
        if (sandbox.Workers is < 1 or > 64) problems.Add($"Engine:Sandbox:Workers must be between 1 and 64 (got {sandbox.Workers}).");
        if (sandbox.PythonMemoryMb < 64) problems.Add($"Engine:Sandbox:PythonMemoryMb must be at least 64 (got {sandbox.PythonMemoryMb}).");
        var model = Bind(engine.GetSection("Model"), new Models.Llama.LlamaModelOptions(), problems, "Engine:Model");
        if (model.Path.Length > 0 && !Path.IsPathRooted(model.Path) && baseDirectory is not null)
            model = model with { Path = Path.GetFullPath(Path.Combine(baseDirectory, model.Path)) };
        if (model.KvPoolTokens < 64) problems.Add($"Engine:Model:KvPoolTokens must be at least 64 (got {model.KvPoolTokens}).");
        if (model.MaxParallelSequences is < 2 or > 256) problems.Add($"Engine:Model:MaxParallelSequences must be between 2 and 256 (got {model.MaxParallelSequences}).");
        var storage = engine["Storage:Path"] ?? "";
        if (storage.Length > 0 && !Path.IsPathRooted(storage) && baseDirectory is not null)
            storage = Path.GetFullPath(Path.Combine(baseDirectory, storage));
        var defaultPreset = defaults["Preset"] ?? BuiltInPresets.Numina.Name;
        if (!presets.Any(x => string.Equals(x.Name, defaultPreset, StringComparison.OrdinalIgnoreCase)))
            problems.Add($"Engine:Defaults:Preset names an unknown preset '{defaultPreset}'.");
        if (problems.Count > 0) throw new InvalidSettingsException(problems);

        return new EngineOptions
        {
            Defaults = new RunSettings { Decoding = decoding, Execution = execution, AnswerPolicy = policy },
            DefaultPreset = defaultPreset,
            Presets = new PresetCatalog(presets),
            Python = python,
            Sandbox = sandbox,
            Executor = executor,
            Model = model,
            StoragePath = storage,
        };
    }

    /// <summary>Binds a section onto a copy of <paramref name="target"/>; unknown keys and unparsable values become problems.</summary>
    private static T Bind<T>(IConfigurationSection section, T target, List<string> problems, string path, string[]? ignoredKeys = null) where T : class
    {
        var known = typeof(T).GetProperties().Select(p => p.Name).Concat(ignoredKeys ?? []).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren().Where(c => !known.Contains(c.Key)))
            problems.Add($"{path}: unknown setting '{child.Key}'. Known: {string.Join(", ", typeof(T).GetProperties().Where(p => p.CanWrite).Select(p => p.Name))}.");
        var copy = target is Preset preset ? (T)(object)(preset with { }) : target;
        // The binder appends to lists it finds filled; a list in the configuration replaces the inherited one.
        foreach (var list in typeof(T).GetProperties().Where(p => p.PropertyType == typeof(IReadOnlyList<string>) && section.GetSection(p.Name).Exists()))
            list.SetValue(copy, Array.Empty<string>());
        try
        {
            section.Bind(copy);
        }
        catch (InvalidOperationException e)
        {
            problems.Add($"{path}: {e.Message}");
        }
        return copy;
    }

    private static TEnum Enum<TEnum>(string? value, TEnum fallback, string path, List<string> problems) where TEnum : struct, System.Enum
    {
        if (string.IsNullOrEmpty(value)) return fallback;
        if (System.Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && System.Enum.IsDefined(parsed)) return parsed;
        problems.Add($"{path}: '{value}' is not one of {string.Join(", ", System.Enum.GetNames<TEnum>())}.");
        return fallback;
    }
}
