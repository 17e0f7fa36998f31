using System.CommandLine;
using Numina.Engine.Configuration;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
using MudBlazor.Services;
using Numina.Workbench.Components;

namespace Numina.Workbench.Cli;

/// <summary><c>Workbench serve</c> (the default): the Blazor Server workbench, bound to 127.0.0.1 unless configured otherwise.</summary>
public static class ServeCommand
{
    public static readonly Option<string?> Urls = new("--urls")
    {
        Description = "Where to listen, e.g. http://127.0.0.1:5080 (default: Urls in the configuration).",
    };

    public static Command Create()
    {
        var command = new Command("serve", "Start the workbench web app.");
        command.Options.Add(CommonOptions.Config);
        command.Options.Add(Urls);
        command.SetAction((parse, ct) => RunAsync(parse, ct));
        return command;
    }

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var configPath = CommonOptions.ConfigPath(parse);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(CommonOptions.ReadConfiguration(configPath));
        if (parse.GetValue(Urls) is { } urls) builder.WebHost.UseUrls(urls);

        var listening = (parse.GetValue(Urls) ?? builder.Configuration["Urls"] ?? "http://localhost:5000")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var gate = Hosting.AccessGate.For(listening, builder.Configuration["Workbench:Access:Token"]);
        builder.Services.AddSingleton(gate);

        var engineOptions = EngineOptions.Load(builder.Configuration, Path.GetDirectoryName(configPath));
        builder.Services.AddSingleton(engineOptions);
        builder.Services.AddSingleton<ICodeExecutor>(services => engineOptions.CreateExecutor(services.GetRequiredService<ILoggerFactory>().CreateLogger("Sandbox")));
        builder.Services.AddSingleton<Hosting.ModelHost>();
        if (string.IsNullOrEmpty(engineOptions.StoragePath)) throw new ArgumentException("No run store is configured (Engine:Storage:Path).");
        var store = Numina.Engine.Storage.RunStore.Open(engineOptions.StoragePath);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton<Runs.RunService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<Runs.RunService>());
        builder.Services.AddSingleton<Evaluations.EvaluationService>();
        builder.Services.AddSingleton<Serving.OpenAiApi>();
        builder.Services.AddMudServices();
        // SignalR's default 32 KB per message dropped the connection on a pasted problem of ~16 KB (JSON-escaped, it
        // doubles): 1 MB carries the longest problem taken (Problem.MaxLength characters) with room for escaping.
        builder.Services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = 1 << 20);

        var app = builder.Build();
        gate.Use(app); // before everything else: pages, the Blazor WebSocket, exports, the OpenAI-compatible endpoint
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        Serving.RunApi.Map(app, store);
        Serving.OpenAiApi.Map(app);
        app.Logger.LogInformation("Configuration: {Path}", configPath);
        app.Logger.LogInformation("Run store: {Path} ({Interrupted} interrupted run(s) found)", store.Path, store.InterruptedOnOpen);
        _ = app.Services.GetRequiredService<Hosting.ModelHost>().Facts; // load the model now, not at the first page
        if (app.Services.GetRequiredService<ICodeExecutor>() is Numina.Engine.Execution.Sandbox.SandboxExecutor sandbox)
            _ = Task.Run(async () => // workers import numpy and sympy before the first run needs them
            {
                try { await sandbox.WarmUpAsync(cancellationToken); }
                catch (Exception e) when (e is not OperationCanceledException) { app.Logger.LogWarning("The sandbox workers did not start: {Error}", e.Message); }
            }, cancellationToken);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var url in listening) Console.WriteLine($"Numina Workbench: {gate.Link(url)}");
            if (gate.Token is not null && listening.Any(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && !Hosting.AccessGate.IsLoopback(u)))
                app.Logger.LogWarning("Listening beyond this machine over plain HTTP: the token travels in clear. For a team, put a TLS reverse proxy in front (README, Security).");
        });
        await app.RunAsync(cancellationToken);
        await store.DisposeAsync();
        return 0;
    }
}
