using System.Diagnostics;
using System.Net;
using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>
/// Two real web processes on one cluster behind a proxy that sends each connection to the first replica alive, and
/// dashboards signed in through it; the replica serving them is killed (SIGKILL). Their live connections come back
/// through the other replica on the same session cookie and show what changed meanwhile and after.
/// </summary>
public sealed class WebReplicaFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly AriSimulator.AriSimulator asterisk = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret" });
    private RedisServer redis = null!;
    private SiloProcess? silo;
    private WebAppProcess? first;
    private WebAppProcess? second;
    private FailoverProxy? proxy;
    private IPlaywright? playwright;
    private IBrowser? browser;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        await asterisk.StartAsync();
        silo = SiloProcess.Start(redis, asterisk, "failover");
        first = WebAppProcess.Start(redis, "first");
        second = WebAppProcess.Start(redis, "second");
        await Task.WhenAll(first.WaitHealthyAsync(TimeSpan.FromSeconds(60)), second.WaitHealthyAsync(TimeSpan.FromSeconds(60)));
        proxy = new FailoverProxy(first.Address, second.Address);
        playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    [Fact]
    public async Task When_the_web_replica_serving_open_dashboards_is_killed_they_reconnect_to_the_other_and_show_the_current_counts()
    {
        var workspace = await ApiClient.CreateWorkspace(proxy!.Address, "Free", "Failover");
        var agent = await workspace.CreateAgent();
        var trunk = await workspace.CreateTrunk("Twilio");
        var dashboards = new[] { await OpenDashboard(), await OpenDashboard() };
        foreach (var dashboard in dashboards) await dashboard.SignInLive(workspace.ApiKey);
        Assert.Equal(0, proxy.ConnectionsTo(second!.Address));
        await AddNumber(workspace, trunk, agent);
        foreach (var dashboard in dashboards) await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "1 number");

        first!.Kill();
        var killed = Stopwatch.StartNew();
        output.WriteLine("--- first replica killed ---");
        // Made while the pages have no live connection: they must catch up when they reconnect.
        await AddNumber(workspace, trunk, agent);
        var live = new List<TimeSpan>();
        foreach (var dashboard in dashboards)
        {
            await Expect(dashboard.Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Live" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
            live.Add(killed.Elapsed);
            await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "2 numbers");
        }
        var caughtUp = killed.Elapsed;

        // And pushed live again, through the surviving replica.
        await AddNumber(workspace, trunk, agent);
        var added = Stopwatch.StartNew();
        foreach (var dashboard in dashboards)
        {
            await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "3 numbers", new() { Timeout = 5000 });
            await Expect(dashboard.Usage).ToHaveTextAsync("3 of 5 numbers · Free plan");
            // Still signed in: the session cookie issued by the killed replica is good on the other one.
            await Expect(dashboard.Page.GetByRole(AriaRole.Heading, new() { Name = "Phone numbers" })).ToBeVisibleAsync();
            Assert.Empty(dashboard.PageErrors);
        }
        var pushed = added.Elapsed;
        await dashboards[0].Screenshot("failover-after-kill");

        output.WriteLine($"replica killed with {dashboards.Length} dashboards open on it: live again after {string.Join(", ", live.Select(t => $"{t.TotalMilliseconds:F0} ms"))}; " +
                         $"the number added meanwhile shown {caughtUp.TotalMilliseconds:F0} ms after the kill; the next change pushed in {pushed.TotalMilliseconds:F0} ms; " +
                         $"connections through the proxy: {proxy.ConnectionsTo(first.Address)} to the killed replica, {proxy.ConnectionsTo(second.Address)} to the survivor");
        Assert.True(proxy.ConnectionsTo(second.Address) > 0);
        Assert.True(caughtUp < TimeSpan.FromSeconds(10), $"the dashboards caught up {caughtUp.TotalSeconds:F1} s after the kill");
    }

    private async Task<DashboardPage> OpenDashboard()
    {
        var context = await browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = proxy!.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1100, Height = 900 },
        });
        var page = new DashboardPage(await context.NewPageAsync());
        page.WatchForErrors();
        page.Page.Console += (_, message) => output.WriteLine($"console {message.Type}: {message.Text}");
        page.Page.RequestFailed += (_, request) => output.WriteLine($"request failed: {request.Method} {request.Url} {request.Failure}");
        page.Page.Response += (_, response) => { if (response.Status >= 400) output.WriteLine($"response {response.Status}: {response.Url}"); };
        await page.Page.GotoAsync("/");
        return page;
    }

    /// <summary>
    /// Through the proxy, as any API client of the deployment would: a request on a kept-alive connection to the killed
    /// replica breaks, and the client sends it again (on a new connection, which reaches the survivor).
    /// </summary>
    private static async Task AddNumber(Workspace workspace, string trunk, string agent)
    {
        var number = TestNumbers.Next();
        ApiResponse response;
        try
        {
            response = await workspace.AddNumber(trunk, number, agent);
        }
        catch (HttpRequestException)
        {
            response = await workspace.AddNumber(trunk, number, agent);
        }
        Assert.True(response.Status == HttpStatusCode.Created, $"adding a number: {response}");
    }

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.DisposeAsync();
        playwright?.Dispose();
        if (proxy is not null) await proxy.DisposeAsync();
        foreach (var process in new[] { first, second })
        {
            if (process is null) continue;
            process.Kill();
            output.WriteLine($"--- web {process.Name} ---\n{process.Log}");
        }
        silo?.Kill();
        await asterisk.DisposeAsync();
        await redis.DisposeAsync();
    }
}
