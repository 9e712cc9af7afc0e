using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Convocore.Silo.Analytics;
using Convocore.Tests.Analytics;
using Convocore.Silo.Routing;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Orleans.TestingHost;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>
/// The live "Calls" change (issue 19): once the silos have applied ended calls, the workspace's dashboards are told (only
/// the span of the calls' start times, throttled per workspace), and the analytics page refreshes when its range covers them.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardCallsEndedTests(DashboardSystem system)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static int channel;

    [Fact]
    public async Task On_the_analytics_page_a_call_that_ends_in_its_range_updates_the_totals_within_seconds_and_one_outside_it_or_a_number_change_fetches_nothing()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        await s.Add(number);
        await using var listener = await Listen(system.WebAddress, s.Workspace.ApiKey);
        await using var dashboard = await system.OpenDashboard(width: 1280);
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        var page = dashboard.Page;
        var view = page.Locator("#analytics-view");
        await page.Locator("#nav-analytics").ClickAsync();
        await Expect(page.Locator("#an-status")).ToHaveTextAsync("Figures for the whole workspace.");
        await page.Locator("#an-range").SelectOptionAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(Tile(view, "Calls")).ToHaveTextAsync("0");
        await Expect(page.Locator("#an-log-empty")).ToBeVisibleAsync();

        var reads = new ConcurrentQueue<(DateTime At, string Path, string Query)>();
        page.Request += (_, request) =>
        {
            var uri = new Uri(request.Url);
            if (request.Method == "GET" && uri.AbsolutePath.StartsWith("/api/", StringComparison.Ordinal)) reads.Enqueue((DateTime.UtcNow, uri.AbsolutePath, uri.Query));
        };

        // A real call through the ARI simulator, ended by the caller: the totals and the log's first page follow, without a reload.
        await Talk(number, "+442071239001", TimeSpan.FromMilliseconds(300));
        var ended = DateTime.UtcNow;
        await Expect(Tile(view, "Calls")).ToHaveTextAsync("1", new() { Timeout = 20_000 });
        var shown = DateTime.UtcNow - ended;
        await Expect(Tile(view, "Routed")).ToHaveTextAsync("1");
        await Expect(view.Locator("#an-log-rows tr")).ToHaveCountAsync(1);
        await Expect(view.Locator("#an-log-rows tr td").Nth(1)).ToHaveTextAsync("+442071239001");
        Assert.True(shown < TimeSpan.FromSeconds(10), $"the totals changed {shown.TotalSeconds:F1} s after the call ended, not well before the minute timer");
        Assert.Equal(1, reads.Count(r => r.Path == "/api/analytics"));
        Assert.Contains(reads, r => r.Path == "/api/calls");
        var signal = await listener.NextCalls(Patience);
        Assert.Equal(s.Workspace.Id, signal.WorkspaceId);
        Assert.Null(signal.PhoneNumber);

        // A custom range in the past: a call that ends now is not in it. Leaving the page and coming back restarts its
        // minute timer, so that no tick falls in what follows.
        await page.Locator("#an-range").SelectOptionAsync("custom");
        var past = DateTime.UtcNow.Date.AddDays(-10);
        await page.Locator("#an-from").FillAsync(past.ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await page.Locator("#an-to").FillAsync(past.AddDays(2).ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(Tile(view, "Calls")).ToHaveTextAsync("0");
        await page.Locator("#nav-numbers").ClickAsync();
        await page.Locator("#nav-analytics").ClickAsync();
        await Expect(page.Locator("#an-status")).ToHaveTextAsync("Figures for the whole workspace.");
        await Expect(Tile(view, "Calls")).ToHaveTextAsync("0");
        await Task.Delay(500);
        while (listener.Changes.Reader.TryRead(out _))
        {
        }
        reads.Clear();

        await Talk(number, "+442071239002", TimeSpan.FromMilliseconds(300));
        // The page got the signal (the test's own connection is in the same group, on the same web instance)...
        var outside = await listener.NextCalls(Patience);
        Assert.True(outside.Calls!.EarliestStart > past.AddDays(2), $"{outside.Calls}");
        // ...and, given time to coalesce and fetch, fetched nothing.
        await Task.Delay(1500);
        Assert.DoesNotContain(reads, r => r.Path is "/api/analytics" or "/api/calls");

        // A number change moves the numbers, never the figures.
        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(s.TrunkId, TestNumbers.Next(), s.AgentId)).Status);
        await Expect(dashboard.Usage).ToHaveTextAsync("2 of 50 numbers · Pro plan");
        await Task.Delay(1000);
        Assert.DoesNotContain(reads, r => r.Path is "/api/analytics" or "/api/calls");
        Assert.Empty(dashboard.PageErrors);
    }

    [Fact]
    public async Task A_burst_of_ended_calls_makes_a_few_throttled_signals_whose_spans_cover_every_call_and_another_workspace_hears_none_of_them()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        var other = await DashboardSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        var otherNumber = TestNumbers.Next();
        await s.Add(number);
        await other.Add(otherNumber);
        var secondWeb = await system.SecondWebAddress();
        await using var mine = await Listen(system.WebAddress, s.Workspace.ApiKey);
        await using var mineOnSecond = await Listen(secondWeb, s.Workspace.ApiKey);
        await using var theirs = await Listen(secondWeb, other.Workspace.ApiKey);

        // 300 calls of this workspace over 6 s (5 every 100 ms, so the ingesters apply many small batches), in the
        // product's own record format through a silo's recorder; and, meanwhile, 3 calls of the other workspace.
        var recorder = Silo<CallRecorder>();
        var written = new List<CallRecord>();
        var burstStarted = DateTime.UtcNow;
        for (var round = 0; round < 60; round++)
        {
            for (var i = 0; i < 5; i++)
            {
                var call = Crafted(s.Workspace.Id, number, DateTimeOffset.UtcNow.AddSeconds(-30).AddMilliseconds(i));
                written.Add(call);
                recorder.Record(call);
            }
            if (round % 20 == 0) recorder.Record(Crafted(other.Workspace.Id, otherNumber, DateTimeOffset.UtcNow.AddMinutes(-5)));
            await Task.Delay(100);
        }
        var burst = DateTime.UtcNow - burstStarted;
        await Eventually.True(async () => (await s.Workspace.Api.AllCalls("", 200)).Count == written.Count, "every call of the burst in the log", 30);
        // The trailing signal of each silo comes at most one window after its last batch.
        await Task.Delay(CallsEndedSignal.Every + TimeSpan.FromSeconds(1));

        foreach (var listener in new[] { mine, mineOnSecond })
        {
            var changes = Drain(listener);
            var signals = changes.Where(c => c.Kind == "Calls").ToList();
            Assert.All(changes, c => Assert.Equal(s.Workspace.Id, c.WorkspaceId));
            // Each silo that ingests sends at most one per window, the first at once: per silo, burst / window + 2.
            var bound = 2 * ((int)(burst / CallsEndedSignal.Every) + 2);
            Assert.InRange(signals.Count, 1, bound);
            Assert.All(signals, c => Assert.True(c.PhoneNumber is null && c.TrunkId is null && c.Calls is not null, $"{c}"));
            // The spans cover every call of the burst, the last included (the trailing signal), and no more.
            Assert.Equal(written.Min(c => c.StartedAt), signals.Min(c => c.Calls!.EarliestStart));
            Assert.Equal(written.Max(c => c.StartedAt), signals.Max(c => c.Calls!.LatestStart));
            foreach (var call in written)
                Assert.Contains(signals, c => c.Calls!.EarliestStart <= call.StartedAt && call.StartedAt <= c.Calls.LatestStart);
        }

        // The other workspace heard of its own calls only.
        var stranger = Drain(theirs);
        Assert.NotEmpty(stranger);
        Assert.All(stranger, c => Assert.Equal(other.Workspace.Id, c.WorkspaceId));
        Assert.All(stranger, c => Assert.True(c.Calls!.LatestStart < written.Min(w => w.StartedAt), $"{c}"));
    }

    private async Task Talk(string number, string caller, TimeSpan talk)
    {
        var call = system.Asterisk.PlaceCall(number, caller);
        var outcome = await call.Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        await Task.Delay(talk);
        Assert.True(system.Asterisk.EndCall(call.ChannelId));
    }

    private static CallRecord Crafted(string workspaceId, string number, DateTimeOffset startedAt) =>
        new("burst." + Interlocked.Increment(ref channel), number, number, "+15550000001", workspaceId, "trunk1", "agent1", "NA", "burst",
            startedAt, Contracts.Routing.CallOutcome.Routed, null, startedAt.AddSeconds(20), 20, null);

    private T Silo<T>() where T : notnull =>
        system.Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services.GetRequiredService<T>();

    private static ILocator Tile(ILocator view, string label) =>
        view.Locator(".tile").Filter(new() { Has = view.Page.Locator(".tile-label", new() { HasTextRegex = new Regex($"^{Regex.Escape(label)}$") }) }).Locator(".tile-value");

    private static List<Change> Drain(Listener listener)
    {
        var changes = new List<Change>();
        while (listener.Changes.Reader.TryRead(out var change)) changes.Add(change);
        return changes;
    }

    private static async Task<Listener> Listen(Uri web, string apiKey)
    {
        var listener = new Listener(new HubConnectionBuilder()
            .WithUrl(new Uri(web, "/hubs/live"), o => o.Headers["Authorization"] = "Bearer " + apiKey)
            .Build());
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Connection.On("subscribed", () => subscribed.TrySetResult());
        listener.Connection.On<Change>("workspaceChanged", change => listener.Changes.Writer.TryWrite(change));
        await listener.Connection.StartAsync();
        await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return listener;
    }

    private sealed record Span(DateTimeOffset EarliestStart, DateTimeOffset LatestStart);

    private sealed record Change(string WorkspaceId, string Kind, string? TrunkId, string? PhoneNumber, Span? Calls);

    private sealed class Listener(HubConnection connection) : IAsyncDisposable
    {
        public HubConnection Connection { get; } = connection;
        public Channel<Change> Changes { get; } = Channel.CreateUnbounded<Change>();

        public async Task<Change> NextCalls(TimeSpan within)
        {
            using var timeout = new CancellationTokenSource(within);
            while (true)
            {
                var change = await Changes.Reader.ReadAsync(timeout.Token);
                if (change.Kind == "Calls") return change;
            }
        }

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }
}
