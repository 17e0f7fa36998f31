using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace Numina.Components.Tests;

/// <summary>A bUnit context with MudBlazor's services and its popover provider, as the workbench's components need.</summary>
public abstract class MudTestContext : IAsyncLifetime
{
    protected BunitContext Ctx { get; } = new();

    public Task InitializeAsync()
    {
        Ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        Ctx.Services.AddMudServices();
        Ctx.Render<MudBlazor.MudPopoverProvider>();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Ctx.DisposeAsync();
}
