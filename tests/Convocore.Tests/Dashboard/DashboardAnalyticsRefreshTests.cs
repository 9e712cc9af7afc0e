using System.Collections.Concurrent;
using System.Net;
using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>The analytics page asks for the figures on its timer (a minute), not on a live number change.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardAnalyticsRefreshTests(DashboardSystem system)
{
    [Fact]
    public async Task On_the_analytics_page_a_number_change_does_not_refetch_the_figures_and_the_minute_timer_does()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Page.Locator("#nav-analytics").ClickAsync();
        await Expect(dashboard.Page.Locator("#an-status")).ToHaveTextAsync("Figures for the whole workspace.");
        var reads = new ConcurrentQueue<(DateTime At, string Path)>();
        dashboard.Page.Request += (_, request) =>
        {
            var path = new Uri(request.Url).AbsolutePath;
            if (request.Method == "GET" && path.StartsWith("/api/", StringComparison.Ordinal)) reads.Enqueue((DateTime.UtcNow, path));
        };
        var watching = DateTime.UtcNow;

        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(s.TrunkId, TestNumbers.Next(), s.AgentId)).Status);
        await Expect(dashboard.Usage).ToHaveTextAsync("1 of 50 numbers · Pro plan");
        await Task.Delay(1000);
        Assert.DoesNotContain(reads, r => r.Path == "/api/analytics");

        await Eventually.True(() => Task.FromResult(reads.Any(r => r.Path == "/api/analytics")), "the figures read again by the timer", 75);
        var refreshed = reads.First(r => r.Path == "/api/analytics").At;
        Assert.True(refreshed - watching > TimeSpan.FromSeconds(50), $"refetched after {(refreshed - watching).TotalSeconds:F0} s, not on the timer");
    }
}
