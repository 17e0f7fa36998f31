using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Numina.Engine.Problems;
using Numina.Engine.Runs;
using Numina.Engine.Storage;
using Numina.Engine.Tests.Support;
using Numina.Workbench.Components.Layout;

namespace Numina.Components.Tests;

/// <summary>The banner every page shows while the run store's disk refuses writes, on a real full filesystem.</summary>
public sealed class StorageBannerTests
{
    [Fact]
    public async Task A_full_disk_shows_on_the_page_and_goes_when_space_returns()
    {
        using var disk = SmallDisk.Mount(kilobytes: 512);
        await using var store = RunStore.Open(Path.Combine(disk.Path, "runs.db"));
        await using var ctx = new BunitContext();
        ctx.Services.AddMudServices();
        ctx.Services.AddSingleton(store);
        var banner = ctx.Render<StorageBanner>();
        Assert.Empty(banner.FindAll("[data-testid=storage-failure]"));

        disk.Fill();
        var request = new RunRequest { Problem = Problem.Create("What is 2 + 3?"), RunId = "full-disk-run" };
        store.BeginRun(request, request.RunId, DateTimeOffset.UtcNow);
        banner.WaitForAssertion(() => Assert.Contains("cannot write", banner.Find("[data-testid=storage-failure]").TextContent), TimeSpan.FromSeconds(10));
        Assert.Matches("disk is full|disk I/O error", banner.Find("[data-testid=storage-failure]").TextContent); // SQLite's words for ENOSPC

        disk.Free();
        banner.WaitForAssertion(() => Assert.Empty(banner.FindAll("[data-testid=storage-failure]")), TimeSpan.FromSeconds(15));
        Assert.NotNull(store.Find("full-disk-run")); // written once the disk took it
    }
}
