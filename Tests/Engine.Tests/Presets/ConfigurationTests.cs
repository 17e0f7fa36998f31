using Microsoft.Extensions.Configuration;
using Numina.Engine.Answers;
using Numina.Engine.Configuration;
using Numina.Engine.Presets;
using Numina.Engine.Settings;

namespace Numina.Engine.Tests.Presets;

public class ConfigurationTests
{
    internal static EngineOptions LoadJson(string json) =>
        EngineOptions.Load(new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build());

    [Fact]
    public void The_repository_appsettings_loads_with_presets_as_data()
    {
        var options = EngineOptions.Load(new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build());

        Assert.Equal("Numina", options.DefaultPreset);
        Assert.Equal(8, options.Defaults.Decoding.Width); // the bundled model's entry
        Assert.Equal(4, options.Defaults.Decoding.Depth);
        Assert.Equal(0.8, options.Defaults.Decoding.Temperature);
        Assert.Null(options.Defaults.Decoding.Seed);
        Assert.Equal("/usr/bin/python3", options.Python.Executable);

        var notebook = options.Presets.Get("Numina-Notebook");
        Assert.Equal(AutoPrint.TrailingExpression, notebook.AutoPrint);
        Assert.Equal(BuiltInPresets.Numina with { Name = notebook.Name, Description = notebook.Description, AutoPrint = AutoPrint.TrailingExpression, ForbiddenWords = notebook.ForbiddenWords }, notebook);
        var qwen = options.Presets.Get("qwen-integer");
        Assert.Equal(AnswerPolicy.Integer, qwen.AnswerPolicy);
        Assert.Equal(BuiltInPresets.QwenMath.OutputFormat, qwen.OutputFormat);
        Assert.Equal(BuiltInPresets.QwenMath.Chat, qwen.Chat);
        Assert.Equal(400, qwen.OutputCap);
        Assert.Contains(options.Presets.All, p => p.Name == "NemoSkills");
    }

    [Fact]
    public void Each_preset_carries_its_systems_defaults_and_the_model_entry_and_configuration_layer_over_them()
    {
        var options = EngineOptions.Load(new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build(), AppContext.BaseDirectory);
        var tiny = options.FindModel(null);
        Assert.Equal("numina-tiny", tiny.Name);
        Assert.Equal("Numina", options.PresetFor(tiny).Name);
        Assert.EndsWith("models/numina-tiny-q8_0.gguf", tiny.Path);

        // The systems' own decoding (no model entry): Numina 48 × 4 at 0.8 with 2048 / 4096; Qwen 0.7; ToRA greedy.
        var numina = options.DefaultsFor(BuiltInPresets.Numina).Decoding;
        Assert.Equal((48, 4, 0.8, 1.0, 2048, 4096), (numina.Width, numina.Depth, numina.Temperature, numina.TopP, numina.MaxNewTokensPerRound, numina.ContextSize));
        var qwen = options.DefaultsFor(BuiltInPresets.QwenMath).Decoding;
        Assert.Equal((8, 4, 0.7, 2048, 4096), (qwen.Width, qwen.Depth, qwen.Temperature, qwen.MaxNewTokensPerRound, qwen.ContextSize));
        Assert.Equal((1, 0.0, 1024), (options.DefaultsFor(BuiltInPresets.ToRA).Decoding.Width, options.DefaultsFor(BuiltInPresets.ToRA).Decoding.Temperature, options.DefaultsFor(BuiltInPresets.ToRA).Decoding.MaxNewTokensPerRound));
        var nemo = options.DefaultsFor(BuiltInPresets.NemoSkills).Decoding;
        Assert.Equal((16, 9, 0.6, 0.95), (nemo.Width, nemo.Depth, nemo.Temperature, nemo.TopP));

        // The bundled model's entry: its small context and 8 candidates over Numina's.
        var onTiny = options.DefaultsFor(BuiltInPresets.Numina, tiny).Decoding;
        Assert.Equal((8, 4, 0.8, 1024, 2048), (onTiny.Width, onTiny.Depth, onTiny.Temperature, onTiny.MaxNewTokensPerRound, onTiny.ContextSize));
        Assert.Equal(onTiny, options.Defaults.Decoding);

        // Engine:Defaults over the preset, the model entry over both, each only where it says something.
        var layered = LoadJson("""
            { "Engine": {
                "Defaults": { "Temperature": 0.5, "Width": 3, "Model": "big" },
                "Models": {
                  "small": { "Path": "/m/small.gguf" },
                  "big": { "Path": "/m/big.gguf", "Preset": "ToRA", "GpuLayers": 99, "KvCacheType": "F16", "Defaults": { "Width": 5 } } } } }
            """);
        var big = layered.FindModel(null);
        Assert.Equal("big", big.Name);
        Assert.Equal((99, Numina.Engine.Models.Llama.KvCacheType.F16), (big.Load.GpuLayers, big.Load.KvCacheType));
        Assert.Equal(0, layered.FindModel("small").Load.GpuLayers);
        var d = layered.DefaultsFor(layered.PresetFor(big), big).Decoding;
        Assert.Equal(("ToRA", 5, 0.5, 1024), (layered.PresetFor(big).Name, d.Width, d.Temperature, d.MaxNewTokensPerRound));
        Assert.Equal(3, layered.DefaultsFor(BuiltInPresets.Numina, layered.FindModel("small")).Decoding.Width);

        // A name that is not configured and not a file is refused; a path is a model too.
        Assert.Contains("No model is named 'tiny'", Assert.Throws<KeyNotFoundException>(() => layered.FindModel("tiny")).Message);
        var byPath = layered.FindModel("/elsewhere/x.gguf");
        Assert.True(byPath.FromPath);
        Assert.Equal("/elsewhere/x.gguf", byPath.Path);
    }

    [Fact]
    public void Bad_model_entries_are_named()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => LoadJson("""
            { "Engine": {
                "Defaults": { "Model": "nope" },
                "Models": { "a": { "Pathh": "/m/a.gguf", "Preset": "Nobody", "KvPoolTokens": 3, "Defaults": { "Widht": 4, "Temperature": 9 } } } } }
            """));
        var text = string.Join("\n", error.Problems);
        Assert.Contains("Engine:Models:a: unknown setting 'Pathh'", text);
        Assert.Contains("Engine:Models:a: Path is missing", text);
        Assert.Contains("Engine:Models:a:KvPoolTokens must be at least 64 (got 3)", text);
        Assert.Contains("Engine:Models:a:Defaults: unknown setting 'Widht'", text);
        Assert.Contains("Engine:Defaults:Model names an unknown model 'nope'", text);
        Assert.Contains("Engine:Models:a:Preset names an unknown preset 'Nobody'", text);
    }

    [Fact]
    public void Per_sequence_streams_too_small_for_the_context_are_refused_with_the_numbers()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => LoadJson("""
            { "Engine": { "Models": {
                "a": { "Path": "/m/a.gguf", "KvLayout": "PerSequence", "KvPoolTokens": 65536, "MaxParallelSequences": 64, "Defaults": { "ContextSize": 2048 } },
                "b": { "Path": "/m/b.gguf", "KvLayout": "PerSequence", "KvPoolTokens": 2048, "MaxParallelSequences": 64 } } } }
            """));
        var text = string.Join("\n", error.Problems);
        Assert.Contains("Engine:Models:a: with KvLayout PerSequence a sequence's stream holds KvPoolTokens / MaxParallelSequences = 1024 cells, less than the 2048-token context", text);
        Assert.Contains("Raise KvPoolTokens to 131072", text);
        Assert.Contains("Engine:Models:b: with KvLayout PerSequence each sequence gets KvPoolTokens / MaxParallelSequences cells (2048 / 64 = 32)", text);
        var fine = LoadJson("""
            { "Engine": { "Models": { "a": { "Path": "/m/a.gguf", "KvLayout": "PerSequence", "KvPoolTokens": 131072, "MaxParallelSequences": 64, "Defaults": { "ContextSize": 2048 } } } } }
            """);
        Assert.Equal(Numina.Engine.Models.Llama.KvLayout.PerSequence, fine.FindModel("a").Load.KvLayout);
    }

    [Fact]
    public void A_preset_can_replace_every_field_from_json()
    {
        var options = LoadJson("""
            { "Engine": { "Presets": { "Custom": {
                "BasedOn": "NemoSkills", "PromptTemplate": "Q: {problem}\nA:", "OutputCap": 50, "TimeoutSeconds": 1.5,
                "ForbiddenWords": [ "os.system" ], "TieRule": "Larger", "ErrorFormat": "LastLine", "MaxCodeExecutions": 2 } } } }
            """);
        var custom = options.Presets.Get("Custom");
        Assert.Equal("Q: {problem}\nA:", custom.PromptTemplate);
        Assert.Equal(50, custom.OutputCap);
        Assert.Equal(1.5, custom.TimeoutSeconds);
        Assert.Equal(["os.system"], custom.ForbiddenWords);
        Assert.Equal(TieRule.Larger, custom.TieRule);
        Assert.Equal(ErrorFormat.LastLine, custom.ErrorFormat);
        Assert.Equal(2, custom.MaxCodeExecutions);
        Assert.Equal("<tool_call>", custom.CodeOpen); // inherited
        Assert.Equal("Timed out after 1.5 seconds.", custom.RenderTimeoutMessage());
    }

    [Fact]
    public void Bad_configuration_names_every_problem()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => LoadJson("""
            { "Engine": {
                "Defaults": { "Width": 0, "Temprature": 0.5, "Execution": "Notebook", "Preset": "Nope" },
                "Presets": { "X": { "BasedOn": "Missing" }, "Y": { "OutputFormat": "no placeholder" } } } }
            """));
        Assert.Contains(error.Problems, p => p.Contains("Width N must be between 1 and 512 (got 0)"));
        Assert.Contains(error.Problems, p => p.Contains("unknown setting 'Temprature'"));
        Assert.Contains(error.Problems, p => p.Contains("'Notebook' is not one of Stateless, Jupyter"));
        Assert.Contains(error.Problems, p => p.Contains("unknown preset 'Missing'"));
        Assert.Contains(error.Problems, p => p.Contains("Preset 'Y': the output format must contain {output}"));
        Assert.Contains(error.Problems, p => p.Contains("Engine:Defaults:Preset names an unknown preset 'Nope'"));
    }

    [Fact]
    public void Unknown_preset_names_list_the_known_ones()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => PresetCatalog.BuiltIn.Get("Numnia"));
        Assert.Contains("NemoSkills, Numina, Qwen2.5-Math-TIR, ToRA", error.Message);
    }
}

public class SettingsValidationTests
{
    [Theory]
    [InlineData(0, 4, 0.8, 1.0, "Width N must be between 1 and 512 (got 0).")]
    [InlineData(513, 4, 0.8, 1.0, "Width N must be between 1 and 512 (got 513).")]
    [InlineData(8, 0, 0.8, 1.0, "Depth M must be between 1 and 16 (got 0).")]
    [InlineData(8, 17, 0.8, 1.0, "Depth M must be between 1 and 16 (got 17).")]
    [InlineData(8, 4, double.NaN, 1.0, "Temperature must be a finite number from 0 to 5 (got NaN).")]
    [InlineData(8, 4, 5.5, 1.0, "Temperature must be a finite number from 0 to 5 (got 5.5).")]
    [InlineData(8, 4, -0.1, 1.0, "Temperature must be a finite number from 0 to 5 (got -0.1).")]
    [InlineData(8, 4, 0.8, 0.0, "top_p must be greater than 0 and at most 1 (got 0).")]
    [InlineData(8, 4, 0.8, 1.5, "top_p must be greater than 0 and at most 1 (got 1.5).")]
    public void Invalid_settings_get_a_clear_message(int width, int depth, double temperature, double topP, string message)
    {
        var settings = new DecodingSettings { Width = width, Depth = depth, Temperature = temperature, TopP = topP };
        Assert.Equal([message], SettingsValidator.Check(settings));
        Assert.Contains(message, Assert.Throws<InvalidSettingsException>(() => SettingsValidator.Validate(settings)).Message);
    }

    [Fact]
    public void Limits_of_the_sampler_and_context_are_checked_together()
    {
        var problems = SettingsValidator.Check(new DecodingSettings { TopK = -1, MinP = 1, MaxNewTokensPerRound = 5000, ContextSize = 4096 });
        Assert.Equal(3, problems.Count);
        Assert.Contains("Max new tokens per round (5000) cannot exceed the context size (4096).", problems);
    }

    [Fact]
    public void Valid_extremes_pass()
    {
        Assert.Empty(SettingsValidator.Check(new DecodingSettings { Width = 512, Depth = 16, Temperature = 0, TopP = 1 }));
        Assert.Empty(SettingsValidator.Check(new DecodingSettings { Width = 1, Depth = 1, Temperature = 5, TopP = 0.01 }));
    }

    [Fact]
    public async Task A_run_with_invalid_settings_is_refused_before_anything_runs()
    {
        var model = new Support.ScriptedModel(_ => throw new InvalidOperationException("must not be called"));
        var loop = new Runs.SctirLoop(model, Support.Python.Executor());
        var request = new Runs.RunRequest
        {
            Problem = Problems.Problem.Create("x"),
            Settings = new RunSettings { Decoding = new DecodingSettings { Width = 0 } },
        };
        await Assert.ThrowsAsync<InvalidSettingsException>(() => loop.RunAsync(request, Events.NullEventSink.Instance, CancellationToken.None));
        Assert.Equal(0, model.ForkCount);
    }

    [Fact]
    public void Malformed_problems_are_refused()
    {
        Assert.Throws<ArgumentException>(() => Problems.Problem.Create("   "));
        Assert.Throws<ArgumentException>(() => Problems.Problem.Create(null));
        Assert.Throws<ArgumentException>(() => Problems.Problem.Create("a\0b"));
    }

    [Fact]
    public void Policies_layer_like_decoding_values_and_bad_ones_are_named()
    {
        // Engine:Defaults:Policies sets only what it names, over each preset's own policies; a preset can set its own.
        var options = ConfigurationTests.LoadJson("""
            { "Engine": {
                "Defaults": { "Policies": { "StopWhenDecided": true, "Vote": "Imagination" } },
                "Presets": { "Numina-DeepConf": { "BasedOn": "Numina", "Policies": { "ConfidencePruning": true, "ConfidenceKeepPercent": 10 } } } } }
            """);
        var numina = options.DefaultsFor(BuiltInPresets.Numina).Policies;
        Assert.Equal((true, Numina.Engine.Policies.VoteWeighting.Imagination, 0), (numina.StopWhenDecided, numina.Vote, numina.StopWhenFirstAgree));
        var nemo = options.DefaultsFor(BuiltInPresets.NemoSkills).Policies;
        Assert.Equal((true, 4, true), (nemo.StopWhenDecided, nemo.StopWhenFirstAgree, nemo.RemainingCallsHint)); // its own stay
        var deepconf = options.DefaultsFor(options.Presets.Get("Numina-DeepConf")).Policies;
        Assert.Equal((true, 10.0, true), (deepconf.ConfidencePruning, deepconf.ConfidenceKeepPercent, deepconf.StopWhenDecided));
        Assert.False(BuiltInPresets.Numina.Policies.ConfidencePruning); // binding a derived preset never changes its base
        Assert.Equal("none", ConfigurationTests.LoadJson("""{ "Engine": {} }""").DefaultsFor(BuiltInPresets.Numina).Policies.ToString());

        var bad = Assert.Throws<InvalidSettingsException>(() => ConfigurationTests.LoadJson("""
            { "Engine": { "Defaults": { "Policies": { "StopWhenFirstAgree": 1, "EarlyStopping": 3 } } } }
            """));
        Assert.Contains("Engine:Defaults:Policies: unknown setting 'EarlyStopping'", bad.Message);
        Assert.Contains("K must be 0 (off) or at least 2 (got 1)", bad.Message);
    }
}
