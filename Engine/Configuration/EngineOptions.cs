using Microsoft.Extensions.Configuration;
using Numina.Engine.Answers;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using Numina.Engine.Execution.Sandbox;
using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Engine.Configuration;

/// <summary>
/// The engine's part of appsettings.json (<c>Engine:*</c>): run defaults, presets, Python, models and storage paths.
/// Loading checks everything and fails with every problem named, so a typo never silently becomes a default.
/// </summary>
public sealed record EngineOptions
{
    /// <summary>The run settings of the default preset on the default model (see <see cref="DefaultsFor"/>).</summary>
    public required RunSettings Defaults { get; init; }
    public required string DefaultPreset { get; init; }
    /// <summary><c>Engine:Defaults</c>: decoding values set in the configuration, over every preset's own.</summary>
    public DecodingDefaults ConfiguredDecoding { get; init; } = new();
    /// <summary><c>Engine:Defaults:Policies</c>: the policy values it sets, over each preset's own.</summary>
    public Func<Policies.RunPolicies, Policies.RunPolicies> ConfiguredPolicies { get; init; } = p => p;
    public ExecutionMode Execution { get; init; } = ExecutionMode.Stateless;
    public AnswerPolicy? AnswerPolicy { get; init; }
    public ulong? Seed { get; init; }
    /// <summary>The models <c>Engine:Models</c> names (or the one <c>Engine:Model:Path</c> gives), the default first.</summary>
    public IReadOnlyList<ModelEntry> Models { get; init; } = [];
    public string? DefaultModel { get; init; }
    public required PresetCatalog Presets { get; init; }
    public required PythonOptions Python { get; init; }
    public required SandboxOptions Sandbox { get; init; }
    /// <summary>Which executor runs code: the pythonnet sandbox, or a python3 child process per block/session.</summary>
    public ExecutorKind Executor { get; init; } = ExecutorKind.Sandbox;
    /// <summary>The default model's load options (<c>Engine:Model</c>, with the default entry's file and overrides).</summary>
    public required Models.Llama.LlamaModelOptions Model { get; init; }
    /// <summary><c>Engine:Model</c> as configured: the load options every model entry starts from.</summary>
    public Models.Llama.LlamaModelOptions ModelBase { get; init; } = new();
    public string ModelPath => Model.Path;

    /// <summary>
    /// A run's settings: the built-in values, then the preset's defaults (its system's decoding), then
    /// <c>Engine:Defaults</c>, then the model entry's. What the researcher chooses is applied on top by the caller.
    /// </summary>
    public RunSettings DefaultsFor(Preset preset, ModelEntry? model = null) => new()
    {
        Decoding = Layer(preset.Defaults, ConfiguredDecoding, model?.Defaults) with { Seed = Seed },
        Execution = Execution,
        AnswerPolicy = AnswerPolicy,
        Policies = ConfiguredPolicies(preset.Policies),
    };

    /// <summary>
    /// Built-in values ← the preset's ← the configuration's ← the model entry's. A model entry's context is the model's
    /// limit: when it sets one but no tokens per round, a preset that asks for more tokens per round gets the context.
    /// </summary>
    private static DecodingSettings Layer(DecodingDefaults preset, DecodingDefaults configured, DecodingDefaults? model)
    {
        var decoding = configured.ApplyTo(preset.ApplyTo(new DecodingSettings()));
        if (model is null) return decoding;
        decoding = model.ApplyTo(decoding);
        return model.ContextSize is { } context && model.MaxNewTokensPerRound is null && decoding.MaxNewTokensPerRound > context
            ? decoding with { MaxNewTokensPerRound = context }
            : decoding;
    }

    /// <summary>The preset a run on <paramref name="model"/> takes when none is chosen.</summary>
    public Preset PresetFor(ModelEntry? model) => Preset(model?.Preset ?? DefaultPreset);

    /// <summary>
    /// A configured model by name, or a model file by path (relative to the working folder) with <c>Engine:Model</c>'s
    /// load options; null or empty for the default model.
    /// </summary>
    public ModelEntry FindModel(string? nameOrPath)
    {
        if (string.IsNullOrWhiteSpace(nameOrPath))
            return Models.FirstOrDefault() ?? throw new Models.Gguf.ModelFileException("No model is configured (Engine:Models or Engine:Model:Path).");
        var named = Models.FirstOrDefault(m => string.Equals(m.Name, nameOrPath, StringComparison.OrdinalIgnoreCase));
        if (named is not null) return named;
        bool looksLikePath = nameOrPath.Contains('/') || nameOrPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath);
        if (!looksLikePath)
            throw new KeyNotFoundException($"No model is named '{nameOrPath}'. Configured: {string.Join(", ", Models.Select(m => m.Name))}; or give a .gguf file's path.");
        var full = System.IO.Path.GetFullPath(nameOrPath);
        return new ModelEntry { Name = System.IO.Path.GetFileNameWithoutExtension(full), Load = ModelBase with { Path = full }, FromPath = true };
    }
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
        var configured = Bind(defaults, new DecodingDefaults(), problems, "Engine:Defaults", ["Preset", "Model", "Execution", "AnswerPolicy", "Seed", "Policies"]);
        var policySection = defaults.GetSection("Policies");
        Func<Policies.RunPolicies, Policies.RunPolicies> configuredPolicies = policySection.Exists()
            ? p => Bind(policySection, p with { }, problems, "Engine:Defaults:Policies")
            : p => p;
        var execution = Enum<ExecutionMode>(defaults["Execution"], ExecutionMode.Stateless, "Engine:Defaults:Execution", problems);
        AnswerPolicy? policy = defaults["AnswerPolicy"] is { Length: > 0 } p
            ? Enum(p, Answers.AnswerPolicy.AimoInteger, "Engine:Defaults:AnswerPolicy", problems)
            : null;
        ulong? seed = null;
        if (defaults["Seed"] is { Length: > 0 } seedText)
        {
            if (ulong.TryParse(seedText, out var parsed)) seed = parsed;
            else problems.Add($"Engine:Defaults:Seed must be a whole number from 0 to {ulong.MaxValue} or null (got '{seedText}').");
        }

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
        var modelBase = Bind(engine.GetSection("Model"), new Models.Llama.LlamaModelOptions(), problems, "Engine:Model");
        modelBase = modelBase with { Path = Resolve(modelBase.Path, baseDirectory) };
        CheckLoad(modelBase, "Engine:Model", problems);
        var models = new List<ModelEntry>();
        foreach (var section in engine.GetSection("Models").GetChildren())
        {
            var at = $"Engine:Models:{section.Key}";
            var load = Bind(section, modelBase with { Path = "" }, problems, at, ["Preset", "Description", "Defaults", "Server"]);
            var server = ReadServer(section.GetSection("Server"), at, problems);
            if (load.Path.Length == 0 && server is null) problems.Add($"{at}: Path is missing (the model's .gguf file), and there is no Server (an OpenAI-compatible server's endpoints).");
            if (load.Path.Length > 0 && server is not null) problems.Add($"{at}: give either Path (a .gguf file run in-process) or Server (a model server), not both.");
            load = load with { Path = server is null ? Resolve(load.Path, baseDirectory) : "" };
            CheckLoad(load, at, problems);
            var entryDefaults = Bind(section.GetSection("Defaults"), new DecodingDefaults(), problems, at + ":Defaults");
            if (load.KvLayout == Numina.Engine.Models.Llama.KvLayout.PerSequence && entryDefaults.ContextSize is { } context && load.KvPoolTokens / Math.Max(1, load.MaxParallelSequences) < context)
                problems.Add($"{at}: with KvLayout PerSequence a sequence's stream holds KvPoolTokens / MaxParallelSequences = {load.KvPoolTokens / Math.Max(1, load.MaxParallelSequences)} cells, less than the {context}-token context of Defaults:ContextSize. Raise KvPoolTokens to {context * load.MaxParallelSequences} or lower MaxParallelSequences.");
            models.Add(new ModelEntry { Name = section.Key, Description = section["Description"] ?? "", Preset = section["Preset"], Defaults = entryDefaults, Load = load, Server = server });
        }
        if (models.Count == 0 && modelBase.Path.Length > 0)
            models.Add(new ModelEntry { Name = Path.GetFileNameWithoutExtension(modelBase.Path), Load = modelBase });
        var defaultModel = defaults["Model"];
        if (defaultModel is { Length: > 0 })
        {
            var chosen = models.FindIndex(m => string.Equals(m.Name, defaultModel, StringComparison.OrdinalIgnoreCase));
            if (chosen < 0) problems.Add($"Engine:Defaults:Model names an unknown model '{defaultModel}'. Configured: {string.Join(", ", models.Select(m => m.Name))}.");
            else models.Insert(0, models[chosen]) ; // the default first
            if (chosen >= 0) models.RemoveAt(chosen + 1);
        }
        var storage = engine["Storage:Path"] ?? "";
        if (storage.Length > 0 && !Path.IsPathRooted(storage) && baseDirectory is not null)
            storage = Path.GetFullPath(Path.Combine(baseDirectory, storage));
        var defaultPreset = defaults["Preset"] ?? BuiltInPresets.Numina.Name;
        if (!presets.Any(x => string.Equals(x.Name, defaultPreset, StringComparison.OrdinalIgnoreCase)))
            problems.Add($"Engine:Defaults:Preset names an unknown preset '{defaultPreset}'.");
        foreach (var m in models.Where(m => m.Preset is not null && !presets.Any(x => string.Equals(x.Name, m.Preset, StringComparison.OrdinalIgnoreCase))))
            problems.Add($"Engine:Models:{m.Name}:Preset names an unknown preset '{m.Preset}'.");
        // Every preset's defaults, with Engine:Defaults and each model entry over them, must give valid settings: a bad
        // value is found at start-up, not at the first run.
        var layered = new List<(string Where, string Problem)>();
        foreach (var preset in presets.Where(x => x.Check().Count == 0))
            foreach (var model in models.Count > 0 ? models.Cast<ModelEntry?>() : [null])
            {
                var settings = Layer(preset.Defaults, configured, model?.Defaults);
                layered.AddRange(SettingsValidator.Check(settings).Select(x => ($"preset {preset.Name}{(model is null ? "" : $" on model {model.Name}")}", x)));
            }
        foreach (var preset in presets)
            layered.AddRange(configuredPolicies(preset.Policies).Check().Select(x => ($"preset {preset.Name}", $"policies: {x}")));
        problems.AddRange(layered.GroupBy(x => x.Problem).Select(g => $"Engine:Defaults and the presets' and models' defaults: {g.Key} (for {string.Join(", ", g.Select(x => x.Where).Distinct())})"));
        if (problems.Count > 0) throw new InvalidSettingsException(problems);

        var catalog = new PresetCatalog(presets);
        var options = new EngineOptions
        {
            Defaults = new RunSettings(),
            DefaultPreset = defaultPreset,
            ConfiguredDecoding = configured,
            ConfiguredPolicies = configuredPolicies,
            Execution = execution,
            AnswerPolicy = policy,
            Seed = seed,
            Presets = catalog,
            Python = python,
            Sandbox = sandbox,
            Executor = executor,
            Models = models,
            DefaultModel = models.FirstOrDefault()?.Name,
            Model = models.FirstOrDefault()?.Load ?? modelBase,
            ModelBase = modelBase,
            StoragePath = storage,
        };
        var defaultModelEntry = models.FirstOrDefault();
        return options with { Defaults = options.DefaultsFor(options.PresetFor(defaultModelEntry), defaultModelEntry) };
    }

    private static string Resolve(string path, string? baseDirectory) =>
        path.Length > 0 && !Path.IsPathRooted(path) && baseDirectory is not null ? Path.GetFullPath(Path.Combine(baseDirectory, path)) : path;

    /// <summary><c>Engine:Models:&lt;name&gt;:Server</c>: the model's OpenAI-compatible endpoints, checked key by key.</summary>
    private static Models.Remote.RemoteModelOptions? ReadServer(IConfigurationSection section, string at, List<string> problems)
    {
        if (!section.Exists()) return null;
        var server = Bind(section, new Models.Remote.RemoteModelOptions(), problems, at + ":Server");
        var known = typeof(Models.Remote.ServerEndpoint).GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in section.GetSection("Endpoints").GetChildren())
            foreach (var key in endpoint.GetChildren().Where(k => !known.Contains(k.Key)))
                problems.Add($"{at}:Server:Endpoints:{endpoint.Key}: unknown setting '{key.Key}'. Known: {string.Join(", ", known)}.");
        problems.AddRange(server.Check().Select(p => $"{at}:{p}"));
        return server;
    }

    private static void CheckLoad(Models.Llama.LlamaModelOptions load, string at, List<string> problems)
    {
        if (load.KvPoolTokens < 64) problems.Add($"{at}:KvPoolTokens must be at least 64 (got {load.KvPoolTokens}).");
        if (load.MaxParallelSequences is < 2 or > 256) problems.Add($"{at}:MaxParallelSequences must be between 2 and 256 (got {load.MaxParallelSequences}).");
        if (load.BatchSize < 1) problems.Add($"{at}:BatchSize must be at least 1 (got {load.BatchSize}).");
        if (load.GpuLayers < 0) problems.Add($"{at}:GpuLayers cannot be negative (got {load.GpuLayers}).");
        if (load.KvLayout == Numina.Engine.Models.Llama.KvLayout.PerSequence && load.MaxParallelSequences > 0 && load.KvPoolTokens / load.MaxParallelSequences < 64)
            problems.Add($"{at}: with KvLayout PerSequence each sequence gets KvPoolTokens / MaxParallelSequences cells ({load.KvPoolTokens} / {load.MaxParallelSequences} = {load.KvPoolTokens / load.MaxParallelSequences}); that must be at least 64 and hold a whole context. Raise KvPoolTokens or lower MaxParallelSequences.");
    }

    /// <summary>Binds a section onto a copy of <paramref name="target"/>; unknown keys and unparsable values become problems.</summary>
    private static T Bind<T>(IConfigurationSection section, T target, List<string> problems, string path, string[]? ignoredKeys = null) where T : class
    {
        var known = typeof(T).GetProperties().Select(p => p.Name).Concat(ignoredKeys ?? []).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren().Where(c => !known.Contains(c.Key)))
            problems.Add($"{path}: unknown setting '{child.Key}'. Known: {string.Join(", ", typeof(T).GetProperties().Where(p => p.CanWrite).Select(p => p.Name))}.");
        foreach (var child in section.GetChildren().Where(c => known.Contains(c.Key) && c.GetChildren().Any()))
        {
            var property = typeof(T).GetProperties().FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null || property.PropertyType == typeof(string) || typeof(System.Collections.IEnumerable).IsAssignableFrom(property.PropertyType)) continue;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var names = type.GetProperties().Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var grandchild in child.GetChildren().Where(g => !names.Contains(g.Key) && !(type == typeof(Prompts.ChatPrompt) && g.Key == "Turns")))
                problems.Add($"{path}:{child.Key}: unknown setting '{grandchild.Key}'. Known: {string.Join(", ", names)}.");
        }
        // Records nested in a preset are copied, so that binding a derived preset never changes the one it is based on.
        var copy = target is Preset preset
            ? (T)(object)(preset with
            {
                Defaults = preset.Defaults with { },
                Policies = preset.Policies with { },
                Chat = preset.Chat is { } chat ? chat with { Turns = chat.Turns is { } turns ? turns with { } : null } : null,
            })
            : target;
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
