using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using MudBlazor.Services;
using Numina.Engine.Configuration;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using Numina.Engine.Storage;
using Numina.Workbench.Components.Pages;
using Numina.Workbench.Hosting;
using Numina.Workbench.Runs;

namespace Numina.Components.Tests;

/// <summary>The solve page's settings: each invalid value gets its own message and Run stays disabled until all are fixed.</summary>
public sealed class SolvePageTests : IAsyncLifetime
{
    private readonly BunitContext _ctx = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("numina-bunit-").FullName;
    private RunStore _store = null!;

    public Task InitializeAsync()
    {
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        _ctx.Services.AddMudServices();
        var options = EngineOptions.Load(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Model:Path"] = Path.Combine(_dir, "no-such-model.gguf"),
            ["Engine:Storage:Path"] = Path.Combine(_dir, "runs.db"),
        }).Build());
        _store = RunStore.Open(options.StoragePath);
        var models = new ModelHost(options, NullLogger<ModelHost>.Instance);
        ICodeExecutor executor = new PythonExecutor(new PythonOptions());
        _ctx.Services.AddSingleton(options);
        _ctx.Services.AddSingleton(models);
        _ctx.Services.AddSingleton(executor);
        _ctx.Services.AddSingleton(new RunService(models, executor, _store, NullLogger<RunService>.Instance));
        _ctx.Renderer.SetRendererInfo(new Microsoft.AspNetCore.Components.RendererInfo("Server", isInteractive: false));
        _ctx.Render<MudPopoverProvider>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _ctx.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Types into a MudBlazor numeric field and leaves it, as a person does.</summary>
    private static void Type(IRenderedComponent<Solve> page, string testId, string text)
    {
        page.Find($"input[data-testid={testId}]").Input(text);
        page.Find($"input[data-testid={testId}]").Blur();
    }

    [Fact]
    public void Invalid_settings_show_their_messages_and_disable_run()
    {
        var page = _ctx.Render<Solve>();
        Assert.Contains("Enter a problem", page.Find("[data-testid=settings-problems]").TextContent);

        page.Find("textarea[data-testid=problem-input]").Input("What is $2+3$?");
        Type(page, "width", "0");
        Type(page, "temperature", "9");
        page.Find("input[data-testid=seed]").Input("abc");
        // MudBlazor's numeric fields commit their value asynchronously: wait for the page to show all three messages.
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=settings-problem]").Count), TimeSpan.FromSeconds(5));
        var messages = page.FindAll("[data-testid=settings-problem]").Select(m => m.TextContent.Trim()).ToList();
        Assert.Contains("Width N must be between 1 and 512 (got 0).", messages);
        Assert.Contains("Temperature must be a finite number from 0 to 5 (got 9).", messages);
        Assert.Contains(messages, m => m.StartsWith("The seed must be a whole number"));
        Assert.DoesNotContain(messages, m => m.StartsWith("Enter a problem"));
        Assert.True(page.Find("[data-testid=run]").HasAttribute("disabled"));

        Type(page, "width", "8");
        Type(page, "temperature", "0.8");
        page.Find("input[data-testid=seed]").Input("");
        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=settings-problem]")), TimeSpan.FromSeconds(5));
        // The model is missing here, so Run stays disabled and the page says why.
        Assert.True(page.Find("[data-testid=run]").HasAttribute("disabled"));
        Assert.Contains("does not exist", page.Markup);
    }

    [Fact]
    public void Text_that_is_not_a_number_is_named_not_turned_into_zero()
    {
        var page = _ctx.Render<Solve>();
        page.Find("textarea[data-testid=problem-input]").Input("What is $2+3$?");
        Type(page, "temperature", "abc");
        Type(page, "width", "1.5");
        Type(page, "top-p", "0,9");
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[data-testid=settings-problem]").Count), TimeSpan.FromSeconds(5));
        var messages = page.FindAll("[data-testid=settings-problem]").Select(m => m.TextContent.Trim()).ToList();
        Assert.Contains("Temperature must be a number, such as 0.8 (got \"abc\").", messages);
        Assert.Contains("Width N must be a whole number (got \"1.5\").", messages);
        Assert.Contains("top_p must be written with a decimal point, not a comma (got \"0,9\").", messages);
        // The typed text stays in its field (not replaced by a number).
        Assert.Equal("abc", page.Find("input[data-testid=temperature]").GetAttribute("value"));
        Assert.True(page.Find("[data-testid=run]").HasAttribute("disabled"));
    }

    /// <summary>The error for an over-long problem says to raise the context size: the form has the field to do it.</summary>
    [Fact]
    public void The_context_size_is_a_field_of_the_form_and_reaches_the_run()
    {
        var options = _ctx.Services.GetRequiredService<EngineOptions>();
        var page = _ctx.Render<Solve>();
        var defaultContext = options.DefaultsFor(options.PresetFor(null), null).Decoding.ContextSize;
        Assert.Equal(defaultContext.ToString(), page.Find("input[data-testid=context-size]").GetAttribute("value"));
        page.Find("textarea[data-testid=problem-input]").Input("What is $2+3$?");
        Type(page, "context-size", "8");
        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=settings-problem]"), m => m.TextContent.Contains("The context size must be between")), TimeSpan.FromSeconds(5));
        Assert.True(page.Find("[data-testid=run]").HasAttribute("disabled"));

        var form = RunForm.FromDefaults(options);
        form.Problem = "What is 2 + 3?";
        form.ContextSizeText = "8192";
        Assert.Equal(8192, form.ToRequest(options).Settings.Decoding.ContextSize);
    }

    [Fact]
    public void The_preview_renders_the_problem_as_markdown_with_math()
    {
        var page = _ctx.Render<Solve>();
        page.Find("textarea[data-testid=problem-input]").Input("Let \\(x^2 = 4\\). Find **all** $x$.");
        var preview = page.Find("[data-testid=problem-preview]");
        Assert.Equal(2, preview.QuerySelectorAll(".math").Length);
        Assert.Equal("all", preview.QuerySelector("strong")!.TextContent);
    }

    [Fact]
    public void The_policies_take_the_presets_own_and_what_the_researcher_sets_reaches_the_run()
    {
        var options = _ctx.Services.GetRequiredService<EngineOptions>();
        var page = _ctx.Render<Solve>();
        Assert.Contains("Policies: none", page.Find("[data-testid=policies-panel]").TextContent);

        var form = RunForm.FromDefaults(options);
        form.Problem = "What is 2 + 3?";
        form.ApplyPreset(options, null, "NemoSkills");
        Assert.Equal((4, true), (form.StopWhenFirstAgree, form.RemainingCallsHint));
        form.ApplyPreset(options, null, "Numina");
        Assert.Equal("none", form.Policies(new()).ToString());
        (form.StopWhenDecided, form.Vote, form.MaxConcurrentCandidates) = (true, Numina.Engine.Policies.VoteWeighting.Imagination, 3);
        Assert.Equal("stop when decided; imagination-weighted vote; at most 3 candidates at once", form.ToRequest(options).Settings.Policies.ToString());
        (form.StopWhenAgree, form.StopAmongLast) = (4, 2);
        Assert.Contains(form.Check(options), m => m.Contains("J must be at least K (got K = 4, J = 2)"));
    }
}
