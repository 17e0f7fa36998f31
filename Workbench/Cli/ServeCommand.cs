using System.CommandLine;
using Numina.Engine.Configuration;
using Numina.Engine.Execution;
using Numina.Engine.Execution.Python;
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

        var engineOptions = EngineOptions.Load(builder.Configuration, Path.GetDirectoryName(configPath));
        builder.Services.AddSingleton(engineOptions);
        builder.Services.AddSingleton<ICodeExecutor>(services => engineOptions.CreateExecutor(services.GetRequiredService<ILoggerFactory>().CreateLogger("Sandbox")));
        builder.Services.AddSingleton<Hosting.ModelHost>();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();

        var app = builder.Build();
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/Error", createScopeForErrors: true);
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.Logger.LogInformation("Configuration: {Path}", configPath);
        _ = app.Services.GetRequiredService<Hosting.ModelHost>().Facts; // load the model now, not at the first page
        await app.RunAsync(cancellationToken);
        return 0;
    }
}
