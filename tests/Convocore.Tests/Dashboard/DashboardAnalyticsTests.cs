using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Convocore.AriSimulator;
using Convocore.Tests.Analytics;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>
/// The analytics page against the real backend: calls placed through the ARI simulator with real durations, ingested
/// by the silos, then read in the browser: totals, failure reasons, the call log and its filters, the per-number
/// volume on the numbers page, and the charts Chart.js drew.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardAnalyticsTests(DashboardSystem system)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private const string MarkupTitle = "<img src=x onerror=\"window.__pwned=1\"><b>Sales</b>";

    /// <summary>A call to <paramref name="number"/>, handed to its agent and ended by the caller after a real <paramref name="talk"/>.</summary>
    private async Task Talk(string number, string caller, TimeSpan talk)
    {
        var call = system.Asterisk.PlaceCall(number, caller);
        var outcome = await call.Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        await Task.Delay(talk);
        Assert.True(system.Asterisk.EndCall(call.ChannelId));
    }

    private async Task Refused(string dialed, string caller)
    {
        var call = system.Asterisk.PlaceCall(dialed, caller);
        var outcome = await call.Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
    }

    private sealed record Placed(string Caller, string Number, string Outcome, string Reason, string Agent);

    [Fact]
    public async Task The_analytics_page_shows_totals_reasons_the_call_log_with_filters_and_charts_of_real_calls()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        var ws = s.Workspace;
        var markupAgent = await ws.CreateAgent(MarkupTitle);
        var idleAgent = await ws.CreateAgent("Idle");
        var first = TestNumbers.Next();
        var second = TestNumbers.Next();
        var markupNumber = TestNumbers.Next();
        var idleNumber = TestNumbers.Next();
        var unknown = TestNumbers.Next();
        await s.Add(first);
        await s.Add(second);
        Assert.Equal(HttpStatusCode.Created, (await ws.AddNumber(s.TrunkId, markupNumber, markupAgent)).Status);
        Assert.Equal(HttpStatusCode.Created, (await ws.AddNumber(s.TrunkId, idleNumber, idleAgent)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ws.Api.Put($"/api/agents/{idleAgent}", new { title = "Idle", voiceEnabled = false, voice = (object?)null })).Status);

        // Oldest first; the unknown number belongs to no workspace, so it is in none of this workspace's figures.
        var receptionist = $"Receptionist ({s.AgentId})";
        var placed = new List<Placed>();
        var callsFrom = DateTime.UtcNow;
        await Talk(first, "+442071230001", TimeSpan.FromMilliseconds(1300));
        placed.Add(new("+442071230001", first, "routed", "", receptionist));
        await Talk(second, "+442071230002", TimeSpan.FromMilliseconds(1600));
        placed.Add(new("+442071230002", second, "routed", "", receptionist));
        await Talk(first, "+442071230003", TimeSpan.FromMilliseconds(1100));
        placed.Add(new("+442071230003", first, "routed", "", receptionist));
        await Refused(idleNumber, "+442071230004");
        placed.Add(new("+442071230004", idleNumber, "failed", "agent_unavailable", $"Idle ({idleAgent})"));
        await Refused(unknown, "+442071230005");
        await Talk(markupNumber, "+442071230006", TimeSpan.FromMilliseconds(1000));
        placed.Add(new("+442071230006", markupNumber, "routed", "", $"{MarkupTitle} ({markupAgent})"));
        var newestFirst = Enumerable.Reverse(placed).ToList();
        var callsTo = DateTime.UtcNow;
        // The heat map cells (weekday, UTC hour) the calls may fall in.
        string[] heatCells = [Cell(callsFrom), Cell(callsTo)];

        JsonArray logged = [];
        await Eventually.True(async () =>
        {
            logged = (await ws.Api.GetOk("/api/calls?limit=200"))["items"]!.AsArray();
            return logged.Count == placed.Count;
        }, $"{placed.Count} calls in the call log", 30);
        var durations = logged.Select(r => r!["durationSeconds"]?.GetValue<double?>()).ToList();

        await using var dashboard = await system.OpenDashboard(width: 1280);
        dashboard.WatchForErrors();
        await dashboard.SignIn(ws.ApiKey);

        // Numbers page: each number row shows its calls in the last 30 days.
        await dashboard.Expand("Twilio");
        await Expect(dashboard.NumberRow(first)).ToContainTextAsync("2 calls in 30 days");
        await Expect(dashboard.NumberRow(second)).ToContainTextAsync("1 call in 30 days");
        await Expect(dashboard.NumberRow(idleNumber)).ToContainTextAsync("1 call in 30 days");
        await Expect(dashboard.NumberRow(markupNumber)).ToContainTextAsync("1 call in 30 days");

        var page = dashboard.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Analytics" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Analytics", Exact = true })).ToBeVisibleAsync();
        var view = page.Locator("#analytics-view");
        await Expect(view.GetByRole(AriaRole.Status)).ToHaveTextAsync("Figures for the whole workspace.");

        // Totals.
        await Expect(Tile(view, "Calls")).ToHaveTextAsync("5");
        await Expect(Tile(view, "Routed")).ToHaveTextAsync("4");
        await Expect(Tile(view, "Failed")).ToHaveTextAsync("1");
        // Of routed calls only (a failed call lasts as long as our decision, which the log shows too).
        var average = Math.Round(durations.Where((_, i) => newestFirst[i].Outcome == "routed").Average(d => d!.Value), 3);
        await Expect(Tile(view, "Average duration")).ToHaveTextAsync(new Regex(@"^\d+\.\d s$"));
        Assert.InRange(Seconds(await Tile(view, "Average duration").TextContentAsync()), average - 0.051, average + 0.051);

        // The failure reason, in the outcomes chart's summary and in the log.
        await Expect(view.GetByRole(AriaRole.Img, new() { Name = "Outcomes: routed 4, failed: agent_unavailable 1" })).ToBeVisibleAsync();

        // The call log: newest first, every column the user reads.
        var rows = view.Locator("#an-log-rows tr");
        await Expect(rows).ToHaveCountAsync(newestFirst.Count);
        for (var i = 0; i < newestFirst.Count; i++)
        {
            var expected = newestFirst[i];
            var cells = rows.Nth(i).Locator("td");
            await Expect(cells.Nth(1)).ToHaveTextAsync(expected.Caller);
            await Expect(cells.Nth(2)).ToHaveTextAsync(expected.Number);
            await Expect(cells.Nth(3)).ToHaveTextAsync(expected.Number);
            await Expect(cells.Nth(4)).ToHaveTextAsync(expected.Agent);
            await Expect(cells.Nth(5)).ToHaveTextAsync("NA");
            await Expect(cells.Nth(6)).ToHaveTextAsync(expected.Outcome);
            await Expect(cells.Nth(7)).ToHaveTextAsync(expected.Reason);
            Assert.Equal(expected.Caller, logged[i]!["caller"]!.GetValue<string>());
            await Expect(cells.Nth(8)).ToHaveTextAsync(new Regex(@"^\d+\.\d s$"));
            var shown = Seconds(await cells.Nth(8).TextContentAsync());
            Assert.InRange(shown, durations[i]!.Value - 0.051, durations[i]!.Value + 0.051);
        }
        // Real durations: at least as long as the caller talked (the newest first: 1.0, 1.1, 1.6, 1.3 s), less 2 ms: event
        // timestamps are whole milliseconds, and Task.Delay may end up to a millisecond early by a high-resolution clock.
        const double slack = 0.002;
        Assert.True(durations[0] >= 1.0 - slack && durations[1] < 1.0 && durations[2] >= 1.1 - slack && durations[3] >= 1.6 - slack
            && durations[4] >= 1.3 - slack, string.Join(", ", durations));
        await Expect(view).Not.ToContainTextAsync(unknown);

        // Markup in an agent's title is text: shown literally, never parsed.
        await Expect(rows.Nth(0).Locator("td").Nth(4)).ToHaveTextAsync($"{MarkupTitle} ({markupAgent})");
        await Expect(view.Locator("img, b")).ToHaveCountAsync(0);
        await Expect(view.GetByLabel("Agent (call log)").Locator("option", new() { HasText = MarkupTitle })).ToHaveCountAsync(1);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"));

        // The charts: drawn by Chart.js, and their data add up to the totals.
        var charts = await Charts(page);
        foreach (var (id, type) in new[] { ("an-volume", "bar"), ("an-outcomes", "doughnut"), ("an-regions", "bar"), ("an-heat", "matrix") })
        {
            var chart = charts.GetProperty(id);
            Assert.True(chart.ValueKind == JsonValueKind.Object, $"no chart on #{id}");
            Assert.Equal(type, chart.GetProperty("type").GetString());
            Assert.Equal(5, chart.GetProperty("sum").GetInt32());
        }
        Assert.Equal(7 * 24, charts.GetProperty("an-heat").GetProperty("points").GetInt32());
        Assert.True(charts.GetProperty("an-volume").GetProperty("points").GetInt32() >= 30);
        await Expect(view.GetByRole(AriaRole.Img, new() { NameRegex = new Regex(@"^Calls by region: .*\bNA 5\b") })).ToBeVisibleAsync();
        await Expect(view.Locator("#an-heat")).ToHaveAttributeAsync("aria-label",
            new Regex($"^Peak hours: busiest ({Regex.Escape(heatCells[0])}|{Regex.Escape(heatCells[1])}):00 UTC with [1-5] calls$"));
        // The heat map's cell of this hour on this weekday holds the calls; its rows read Monday first, top to bottom.
        var heat = await page.EvaluateAsync<JsonElement>("""
            () => {
              const chart = Chart.getChart(document.getElementById('an-heat'));
              const y = chart.scales.y;
              return { rows: y.getLabels(), mondayTop: y.getPixelForValue(0) < y.getPixelForValue(6),
                       hot: chart.data.datasets[0].data.filter((d) => d.v > 0).map((d) => `${d.y} ${d.x}`) };
            }
            """);
        Assert.Equal(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], heat.GetProperty("rows").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.True(heat.GetProperty("mondayTop").GetBoolean(), heat.ToString());
        var hot = heat.GetProperty("hot").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.NotEmpty(hot);
        Assert.All(hot, cell => Assert.Contains(cell, heatCells));
        await dashboard.Screenshot("analytics");

        // Filter by number: its figures and only its calls.
        await view.GetByLabel("Number", new() { Exact = true }).SelectOptionAsync(first);
        await view.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(view.GetByRole(AriaRole.Status)).ToHaveTextAsync($"Figures for {first}.");
        await Expect(Tile(view, "Calls")).ToHaveTextAsync("2");
        await Expect(Tile(view, "Failed")).ToHaveTextAsync("0");
        await Expect(rows).ToHaveCountAsync(2);
        charts = await Charts(page);
        Assert.All(new[] { "an-volume", "an-outcomes", "an-regions", "an-heat" }, id => Assert.Equal(2, charts.GetProperty(id).GetProperty("sum").GetInt32()));
        await Expect(rows.Nth(0).Locator("td").Nth(1)).ToHaveTextAsync("+442071230003");
        await Expect(rows.Nth(1).Locator("td").Nth(1)).ToHaveTextAsync("+442071230001");
        await Expect(rows.Locator("td:nth-child(4)")).ToHaveTextAsync(new[] { first, first });
        await dashboard.Screenshot("analytics-by-number");

        // Filter by outcome (all numbers): failed, then routed.
        await view.GetByLabel("Number", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "All numbers" });
        await view.GetByLabel("Outcome (call log)").SelectOptionAsync("failed");
        await view.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(view.GetByRole(AriaRole.Status)).ToHaveTextAsync("Figures for the whole workspace.");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.Nth(0).Locator("td").Nth(3)).ToHaveTextAsync(idleNumber);
        await Expect(rows.Nth(0).Locator("td").Nth(6)).ToHaveTextAsync("failed");
        await Expect(rows.Nth(0).Locator("td").Nth(7)).ToHaveTextAsync("agent_unavailable");
        await view.GetByLabel("Outcome (call log)").SelectOptionAsync("routed");
        await view.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(4);
        await Expect(rows.Locator("td:nth-child(7)")).ToHaveTextAsync(new[] { "routed", "routed", "routed", "routed" });
        await Expect(rows.Locator("td:nth-child(2)")).ToHaveTextAsync(new[] { "+442071230006", "+442071230003", "+442071230002", "+442071230001" });

        Assert.Empty(dashboard.PageErrors);
    }

    /// <summary>Each chart canvas: the Chart.js chart on it (null if none), its type, and the sum and count of its data points.</summary>
    private static Task<JsonElement> Charts(IPage page) => page.EvaluateAsync<JsonElement>("""
        () => Object.fromEntries(['an-volume', 'an-outcomes', 'an-regions', 'an-heat'].map((id) => {
          const chart = Chart.getChart(document.getElementById(id));
          if (!chart) return [id, null];
          const values = chart.data.datasets.flatMap((d) => d.data.map((v) => (typeof v === 'number' ? v : v.v)));
          return [id, { type: chart.config.type, sum: values.reduce((a, b) => a + b, 0), points: values.length }];
        }))
        """);

    private static string Cell(DateTime utc) => $"{utc.DayOfWeek.ToString()[..3]} {utc.Hour:00}";

    private static ILocator Tile(ILocator view, string label) =>
        view.Locator(".tile").Filter(new() { Has = view.Page.Locator(".tile-label", new() { HasTextRegex = new Regex($"^{Regex.Escape(label)}$") }) }).Locator(".tile-value");

    private static double Seconds(string? text) =>
        double.Parse(text!.Replace(" s", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
}
