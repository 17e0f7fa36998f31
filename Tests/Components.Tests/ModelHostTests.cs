using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor.Services;
using Numina.Engine.Configuration;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using Numina.Engine.Models.Gguf;
using Numina.Engine.Models.Llama;
using Numina.Engine.Storage;
using Numina.Workbench.Components.Pages;
using Numina.Workbench.Hosting;
using Numina.Workbench.Runs;

namespace Numina.Components.Tests;

/// <summary>
/// Models as configuration: the workbench loads the default of the models it is given, switches to another on request,
/// and unloads the old one only when no run holds it; the Status page shows the model's memory plan and llama.cpp's warnings.
/// </summary>
public sealed class ModelHostTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("numina-models-").FullName;
    private EngineOptions _options = null!;

    public Task InitializeAsync()
    {
        LlamaGguf.WriteRandom(Path.Combine(_dir, "plain.gguf"), new LlamaShape { ContextLength = 1024 }, seed: 1, scale: 0.4f, preferPrintable: true);
        // A vocabulary with "<|im_end|>" as a normal token: llama.cpp warns that it looks like a control token.
        var chars = GgufVocabulary.Characters;
        var warned = chars with { Tokens = [.. chars.Tokens, "<|im_end|>"], TokenTypes = [.. chars.TokenTypes, TokenType.Normal], Scores = [.. chars.Scores!, 0f] };
        LlamaGguf.WriteRandom(Path.Combine(_dir, "warned.gguf"), new LlamaShape { Vocab = warned.Count, ContextLength = 1024 }, seed: 2, scale: 0.4f, vocabulary: warned);
        _options = EngineOptions.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Defaults:Model"] = "plain",
            ["Engine:Model:KvPoolTokens"] = "4096",
            ["Engine:Model:Threads"] = "2",
            ["Engine:Models:plain:Path"] = "plain.gguf",
            ["Engine:Models:plain:Defaults:Width"] = "3",
            ["Engine:Models:plain:Defaults:ContextSize"] = "1024",
            ["Engine:Models:plain:Defaults:MaxNewTokensPerRound"] = "100",
            ["Engine:Models:warned:Path"] = "warned.gguf",
            ["Engine:Models:warned:Preset"] = "ToRA",
            ["Engine:Models:warned:Defaults:ContextSize"] = "1024",
            ["Engine:Models:missing:Path"] = "missing.gguf",
            ["Engine:Storage:Path"] = Path.Combine(_dir, "runs.db"),
        }).Build(), _dir);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Switching_loads_the_new_model_and_unloads_the_old_when_its_last_run_ends()
    {
        await using var host = new ModelHost(_options, NullLogger<ModelHost>.Instance);
        Assert.Equal("plain", host.Entry.Name);
        var plain = (LlamaModel)host.Model!;
        var lease = host.Acquire()!; // a run on the plain model

        int changes = 0;
        host.Changed += () => changes++;
        Assert.Null(await host.SwitchAsync("warned"));
        Assert.Equal("warned", host.Entry.Name);
        Assert.NotSame(plain, host.Model);
        Assert.True(changes >= 2); // loading, then loaded
        Assert.False(plain.IsDisposed); // the run still holds it
        using (var state = await lease.Model.EvaluatePromptAsync("1+1=", new Engine.Models.PromptOptions { MaxSequenceTokens = 64 }, CancellationToken.None))
            Assert.True(state.TokenCount > 0);
        lease.Dispose();
        Assert.True(plain.IsDisposed); // unloaded when its last run ended

        // A model that cannot load leaves the loaded one in place, and says why.
        var error = await host.SwitchAsync("missing");
        Assert.Contains("does not exist", error);
        Assert.Equal("warned", host.Entry.Name);
        Assert.NotNull(host.Model);
        Assert.Contains(host.Facts!.Warnings, w => w.Contains("control-looking token"));
    }

    [Fact]
    public async Task The_form_takes_the_models_preset_and_defaults()
    {
        var plain = _options.FindModel("plain");
        var onPlain = RunForm.FromDefaults(_options, plain);
        Assert.Equal(("Numina", 3, 100), (onPlain.Preset, onPlain.Width, onPlain.MaxNewTokensPerRound));
        var onWarned = RunForm.FromDefaults(_options, _options.FindModel("warned"));
        Assert.Equal(("ToRA", 1, 0.0, 1024), (onWarned.Preset, onWarned.Width, onWarned.Temperature, onWarned.MaxNewTokensPerRound));
        onPlain.ApplyPreset(_options, plain, "Qwen2.5-Math-TIR");
        Assert.Equal((3, 0.7, 5.0), (onPlain.Width, onPlain.Temperature, onPlain.TimeoutSeconds)); // Qwen's T and timeout, the model's N
        onPlain.Problem = "2+2?";
        var request = onPlain.ToRequest(_options, plain);
        Assert.Equal(1024, request.Settings.Decoding.ContextSize); // the model entry's context
        await Task.CompletedTask;
    }

    [Fact]
    public async Task The_status_page_shows_the_memory_plan_warnings_and_configured_models()
    {
        await using var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        ctx.Services.AddMudServices();
        var host = new ModelHost(_options, NullLogger<ModelHost>.Instance);
        await host.SwitchAsync("warned");
        await using var store = RunStore.Open(_options.StoragePath);
        ICodeExecutor executor = new PythonExecutor(new PythonOptions());
        ctx.Services.AddSingleton(_options);
        ctx.Services.AddSingleton(host);
        ctx.Services.AddSingleton(executor);
        ctx.Services.AddSingleton(new RunService(host, executor, store, NullLogger<RunService>.Instance));
        ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: false));
        var page = ctx.Render<Status>();
        Assert.Contains("warned", page.Find("[data-testid=model-entry]").TextContent);
        Assert.Contains("KV cache 4.0 MiB (4,096 cells, F32)", page.Find("[data-testid=memory-plan]").TextContent);
        Assert.Contains("KV buffer", page.Find("[data-testid=memory-reported]").TextContent);
        Assert.Contains("control-looking token", page.Find("[data-testid=model-warning]").TextContent);
        var configured = page.FindAll("[data-testid=configured-model]").Select(e => e.TextContent).ToList();
        Assert.Equal(3, configured.Count);
        Assert.Contains(configured, c => c.StartsWith("● warned"));
        Assert.Contains(configured, c => c.Contains("missing") && c.Contains("(file missing)"));
        await host.DisposeAsync();
    }
}
