using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using StackExchange.Redis;
using static Convocore.Tests.Analytics.AnalyticsApi;
using CallOutcome = Convocore.Contracts.Routing.CallOutcome;

namespace Convocore.Tests.Analytics;

/// <summary>
/// Exactly-once ingestion (redelivery, a dead consumer, a crash of every silo), stable paging, retention, and 10,000
/// calls over two Asterisk servers and two silos.
/// </summary>
[Collection(AnalyticsCollection.Name)]
public sealed class AnalyticsIngestionTests(AnalyticsSystem system)
{
    private static int channel;

    private static CallRecord Crafted(string workspaceId, string number, DateTimeOffset startedAt, double? duration = 30, string? reason = null,
        string server = "crafted", string? channelId = null) =>
        new(channelId ?? "crafted." + Interlocked.Increment(ref channel), number, number, "+15550000001", workspaceId, "trunk1", "agent1", "NA", server,
            startedAt, reason is null ? CallOutcome.Routed : CallOutcome.Failed, reason, duration is null ? null : startedAt.AddSeconds(duration.Value),
            duration, null);

    private static async Task<int> LogCount(ApiClient api, string range) => (await api.AllCalls(range, 200)).Count;

    [Fact]
    public async Task The_call_log_pages_newest_first_and_a_cursor_stays_valid_while_calls_arrive()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        var monday = MondayWeeksAgo(5);
        var number = TestNumbers.Next();
        // Ties on purpose: several calls in the same millisecond, on two servers with the same channel ids.
        var first = Enumerable.Range(0, 30).Select(i => Crafted(ws.Id, number, monday.AddMinutes(i / 3 * 10), server: i % 2 == 0 ? "srv-a" : "srv-b",
            channelId: "ch." + (i / 2))).ToList();
        system.Record(first.ToArray());
        var range = $"from={Time(monday)}&to={Time(monday.AddDays(7))}";
        await Eventually.True(async () => await LogCount(ws.Api, range) == 30, "30 calls in the log");

        var page = await ws.Api.GetOk($"/api/calls?{range}&limit=7");
        var rows = page["items"]!.AsArray().Select(r => r!).ToList();
        var cursor = page["nextCursor"]!.GetValue<string>();
        // Calls arrive between pages: newer ones (not on later pages), older ones (on later pages), and a tie with the cursor's row.
        var cursorStart = DateTimeOffset.Parse(rows[^1]["startedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var later = new[]
        {
            Crafted(ws.Id, number, monday.AddDays(1)), Crafted(ws.Id, number, monday.AddMinutes(-1).AddDays(1)),
            Crafted(ws.Id, number, monday.AddMinutes(5)), Crafted(ws.Id, number, monday.AddSeconds(1)),
            Crafted(ws.Id, number, cursorStart, server: "srv-0"), Crafted(ws.Id, number, cursorStart, server: "srv-z"),
        };
        system.Record(later);
        await Eventually.True(async () => await LogCount(ws.Api, range) == 36, "36 calls in the log");
        while (cursor is not null)
        {
            page = await ws.Api.GetOk($"/api/calls?{range}&limit=7&cursor={Uri.EscapeDataString(cursor)}");
            rows.AddRange(page["items"]!.AsArray().Select(r => r!));
            cursor = page["nextCursor"]?.GetValue<string>();
        }

        string Key(CallRecord r) => $"{r.StartedAt.ToUnixTimeMilliseconds():D13}|{r.Server}|{r.ChannelId}";
        var firstPage = first.OrderByDescending(Key, StringComparer.Ordinal).Take(7).ToList();
        var firstPageEnd = Key(firstPage[^1]);
        var expectedAll = firstPage.Concat(first.Concat(later).Where(r => string.CompareOrdinal(Key(r), firstPageEnd) < 0)
            .OrderByDescending(Key, StringComparer.Ordinal)).ToList();
        Assert.Equal(33, expectedAll.Count);
        Assert.Equal(expectedAll.Select(r => (r.StartedAt, r.ChannelId)),
            rows.Select(r => (DateTimeOffset.Parse(r["startedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture), r["channelId"]!.GetValue<string>())));
    }

    [Fact]
    public async Task A_record_delivered_again_or_left_unacknowledged_by_a_dead_consumer_counts_exactly_once()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        var monday = MondayWeeksAgo(6);
        var number = TestNumbers.Next();
        var calls = Enumerable.Range(0, 10).Select(i => Crafted(ws.Id, number, monday.AddHours(i), duration: i + 1)).ToList();
        // Each written three times, as a retried append would.
        system.Record(calls.Concat(calls).Concat(calls).ToArray());

        // A consumer takes five more and dies before acknowledging them: a live silo must take them over.
        var orphans = Enumerable.Range(0, 5).Select(i => Crafted(ws.Id, number, monday.AddDays(1).AddHours(i), duration: 100 + i)).ToList();
        var db = system.Db;
        var transaction = db.CreateTransaction();
        foreach (var orphan in orphans)
            _ = transaction.StreamAddAsync("convocore:calls", "call", JsonSerializer.Serialize(orphan, CallRecordJsonContext.Default.CallRecord));
        var taken = transaction.StreamReadGroupAsync("convocore:calls", "analytics", "dead-consumer", StreamPosition.NewMessages, 10_000);
        Assert.True(await transaction.ExecuteAsync());
        Assert.True((await taken).Length >= orphans.Count);

        var range = $"from={Time(monday)}&to={Time(monday.AddDays(7))}";
        var path = $"/api/numbers/{TestNumbers.Escaped(number)}/analytics?{range}";
        await Eventually.True(async () => ExpectedFigures.Int(await ws.Api.GetOk(path), "totalCalls") == 15, "15 calls", 30);
        await Eventually.True(async () => (await db.StreamPendingAsync("convocore:calls", "analytics")).PendingMessageCount == 0, "nothing left pending", 30);
        await Task.Delay(500);
        var figures = await ws.Api.GetOk(path);
        ExpectedFigures.AssertMatches(figures, calls.Concat(orphans).Select(PlannedCall.From).ToList(), monday, monday.AddDays(7));
    }

    [Fact]
    public async Task Figures_survive_a_crash_of_every_silo_and_nothing_is_counted_twice()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        var monday = MondayWeeksAgo(7);
        var number = TestNumbers.Next();
        var before = Enumerable.Range(0, 20).Select(i => Crafted(ws.Id, number, monday.AddHours(i * 3), duration: 10 + i)).ToList();
        system.Record(before.ToArray());
        var range = $"from={Time(monday)}&to={Time(monday.AddDays(7))}";
        await Eventually.True(async () => ExpectedFigures.Int(await ws.Api.GetOk($"/api/analytics?{range}"), "totalCalls") == 20, "20 calls");

        await system.CrashAndRestartClusterAsync();
        ws = ws.At(system.WebAddress);
        var after = Enumerable.Range(0, 10).Select(i => Crafted(ws.Id, number, monday.AddDays(3).AddHours(i), duration: 50 + i)).ToList();
        system.Record(after.Concat(before.Take(5)).ToArray());
        await Eventually.True(async () => ExpectedFigures.Int(await ws.Api.GetOk($"/api/analytics?{range}"), "totalCalls") == 30, "30 calls after the restart");
        await Task.Delay(500);
        var figures = await ws.Api.GetOk($"/api/analytics?{range}");
        var all = before.Concat(after).Select(PlannedCall.From).ToList();
        ExpectedFigures.AssertMatches(figures, all, monday, monday.AddDays(7));
        ExpectedFigures.AssertVolumes(figures, all, monday, monday.AddDays(7));
        await system.Na.WaitForEventConnectionCountAsync(AnalyticsSystem.Application, 1).WaitAsync(TimeSpan.FromSeconds(30));
        await system.Eu.WaitForEventConnectionCountAsync(AnalyticsSystem.Application, 1).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Retention_removes_calls_older_than_90_days_by_itself()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        var now = DateTimeOffset.UtcNow;
        var oldNumber = TestNumbers.Next();
        var number = TestNumbers.Next();
        var old = Crafted(ws.Id, oldNumber, now.AddDays(-100));
        var older = Crafted(ws.Id, number, now.AddDays(-85));
        var recent = Crafted(ws.Id, number, now.AddDays(-1));
        var range = $"from={Time(now.AddDays(-120))}&to={Time(now.AddMinutes(1))}";
        var oldPath = $"/api/numbers/{TestNumbers.Escaped(oldNumber)}/analytics?{range}";
        try
        {
            // Retention's clock 30 days behind: the 100-day-old call is inside it, and is ingested like any other.
            system.RetentionClock.Run(TimeSpan.FromDays(-30));
            system.Record(old, older, recent);
            await Eventually.True(async () => await LogCount(ws.Api, range) == 3, "all 3 calls in the log");
            Assert.Equal(1, ExpectedFigures.Int(await ws.Api.GetOk(oldPath), "totalCalls"));

            system.RetentionClock.Run();
            await Eventually.True(async () => await LogCount(ws.Api, range) == 2, "the call of 100 days ago removed", 10);
            // With its only call gone, a number the workspace never held is unknown again.
            (await ws.Api.Get(oldPath)).AssertProblem(HttpStatusCode.NotFound, "Phone number not found");

            system.RetentionClock.Run(TimeSpan.FromDays(10));
            await Eventually.True(async () => await LogCount(ws.Api, range) == 1, "the call of 85 days ago removed 10 days later", 10);
            var left = await ws.Api.GetOk($"/api/calls?{range}");
            Assert.Equal(recent.ChannelId, left["items"]![0]!["channelId"]!.GetValue<string>());
            Assert.Equal(1, ExpectedFigures.Int(await ws.Api.GetOk($"/api/analytics?{range}"), "totalCalls"));
        }
        finally
        {
            system.RetentionClock.Run();
        }
    }

    [Fact]
    public async Task Ten_thousand_calls_over_two_Asterisk_servers_and_two_silos_are_counted_exactly()
    {
        const int total = 10_000;
        system.AsteriskClock.Run();
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Enterprise");
        var agent = await ws.CreateAgent();
        var naTrunk = await ws.CreateTrunk("NA carrier", "NA");
        var euTrunk = await ws.CreateTrunk("EU carrier", "EU");
        var naNumbers = TestNumbers.Next(10);
        var euNumbers = TestNumbers.Next(10);
        var unknown = TestNumbers.Next(5);
        foreach (var n in naNumbers) Assert.Equal(HttpStatusCode.Created, (await ws.AddNumber(naTrunk, n, agent)).Status);
        foreach (var n in euNumbers) Assert.Equal(HttpStatusCode.Created, (await ws.AddNumber(euTrunk, n, agent)).Status);

        using var metrics = new CallMetrics(["analytics-na", "analytics-eu"]);
        using var ingestion = new IngestionMetrics(system.SiloMeterFactories);
        system.Na.Options.ContinuedCallDuration = TimeSpan.FromMilliseconds(150);
        system.Eu.Options.ContinuedCallDuration = TimeSpan.FromMilliseconds(250);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var placed = new List<(string Server, SimulatedCall Call, bool Known)>(total);
        try
        {
            for (var batch = 0; batch < total; batch += 250)
            {
                var calls = new List<(string, SimulatedCall, bool)>(250);
                for (var i = batch; i < batch + 250; i++)
                {
                    var (asterisk, server, number, known) = (i % 5) switch
                    {
                        4 => i % 2 == 0 ? (system.Na, "analytics-na", unknown[i / 5 % 5], false) : (system.Eu, "analytics-eu", unknown[i / 5 % 5], false),
                        0 or 2 => (system.Na, "analytics-na", naNumbers[i / 5 % 10], true),
                        _ => (system.Eu, "analytics-eu", euNumbers[i / 5 % 10], true),
                    };
                    calls.Add((server, asterisk.PlaceCall(number, "+4930" + (i % 1000).ToString("D7", CultureInfo.InvariantCulture)), known));
                }
                await Task.WhenAll(calls.Select(c => c.Item2.Outcome)).WaitAsync(TimeSpan.FromSeconds(30));
                placed.AddRange(calls);
            }
            await Task.WhenAll(placed.Select(p => p.Call.Ended)).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            system.Na.Options.ContinuedCallDuration = null;
            system.Eu.Options.ContinuedCallDuration = null;
        }
        Assert.Equal(8_000, placed.Count(p => p.Known && p.Call.Outcome.Result.Kind == CallOutcomeKind.Continued));
        Assert.Equal(2_000, placed.Count(p => !p.Known && p.Call.Outcome.Result.HangupReason == "unallocated"));

        var from = started.AddMinutes(-1);
        var to = DateTimeOffset.UtcNow.AddMinutes(2);
        var range = $"from={Time(from)}&to={Time(to)}";
        var counted = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); counted != 8_000 && DateTime.UtcNow < deadline; await Task.Delay(200))
            counted = ExpectedFigures.Int(await ws.Api.GetOk($"/api/analytics?{range}"), "totalCalls");
        Assert.Equal(8_000, counted);

        // The stream is what the call path wrote: one record per call, and the figures are exactly those of these records.
        var ours = placed.Select(p => (p.Server, p.Call.ChannelId)).ToHashSet();
        var records = (await system.StreamedCalls()).Where(r => ours.Contains((r.Server, r.ChannelId))).ToList();
        Assert.Equal(total, records.Count);
        Assert.Equal(total, records.Select(r => (r.Server, r.ChannelId)).Distinct().Count());
        var owned = records.Where(r => r.WorkspaceId == ws.Id).Select(PlannedCall.From).ToList();
        Assert.Equal(8_000, owned.Count);
        Assert.All(owned, c => Assert.InRange(c.Duration!.Value, 0.1, 30));

        await Task.Delay(500);
        var figures = await ws.Api.GetOk($"/api/analytics?{range}");
        ExpectedFigures.AssertMatches(figures, owned, from, to);
        ExpectedFigures.AssertVolumes(figures, owned, from, to);
        Assert.Equal(4_000, figures["byRegion"]!["NA"]!.GetValue<int>());
        var one = await ws.Api.GetOk($"/api/numbers/{TestNumbers.Escaped(euNumbers[3])}/analytics?{range}");
        ExpectedFigures.AssertMatches(one, owned.Where(c => c.Number == euNumbers[3]).ToList(), from, to);

        var op = new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey);
        var unowned = (await op.GetOk($"/api/operator/unowned-calls?{range}"))["byNumber"]!.AsArray();
        foreach (var n in unknown)
            Assert.Equal(400, unowned.Single(v => v!["phoneNumber"]!.GetValue<string>() == n)!["totalCalls"]!.GetValue<int>());

        var log = await ws.Api.AllCalls(range, 200);
        Assert.Equal(8_000, log.Count);
        // Channel ids repeat across the two servers, but each server only carries its own region's numbers.
        Assert.Equal(8_000, log.Select(r => (r["channelId"]!.GetValue<string>(), r["phoneNumber"]!.GetValue<string>())).Distinct().Count());
        var starts = log.Select(r => DateTimeOffset.Parse(r["startedAt"]!.GetValue<string>(), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(starts.OrderByDescending(s => s), starts);

        // Operator metrics: bounded tags, never a number; exact counts for these two servers.
        await Eventually.True(() => Task.FromResult(metrics.Sum("convocore.call.duration") == total), "a duration for every call", 30);
        Assert.Equal(total, metrics.Sum("convocore.calls.started"));
        Assert.Equal(8_000, metrics.Sum("convocore.calls.routed"));
        Assert.Equal(2_000, metrics.Sum("convocore.calls.failed", ("reason", "unallocated")));
        Assert.Equal(total, metrics.Sum("convocore.calls"));
        Assert.Subset(new HashSet<string> { "region", "server", "outcome", "reason" }, metrics.TagKeys.ToHashSet());
        Assert.DoesNotContain(metrics.TagValues, v => v.StartsWith('+'));
        // Both silos ingested: the consumer group spread the records over them, and each was applied once (a batch
        // slower than ClaimAfter under load may be taken over and delivered again: that is a duplicate, not a count).
        Assert.Equal(total, ingestion.Applied.Values.Sum());
        Assert.Equal(2, ingestion.Applied.Count(a => a.Value > 0));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"took {clock.Elapsed}");
    }
}

/// <summary>Listens to the Convocore.Routing meter in this process (the silos run in it), for the given servers only.</summary>
internal sealed class CallMetrics : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, long> sums = new();
    private readonly ConcurrentDictionary<string, byte> tagKeys = new();
    private readonly ConcurrentDictionary<string, byte> tagValues = new();
    private readonly HashSet<string> servers;

    public CallMetrics(IEnumerable<string> servers)
    {
        this.servers = servers.ToHashSet();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Convocore.Routing") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Add(i, 1, tags));
        listener.Start();
    }

    public IEnumerable<string> TagKeys => tagKeys.Keys;
    public IEnumerable<string> TagValues => tagValues.Keys;

    private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? server = null;
        string? reason = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "server") server = tag.Value as string;
            if (tag.Key == "reason") reason = tag.Value as string;
        }
        if (server is null || !servers.Contains(server)) return;
        foreach (var tag in tags)
        {
            tagKeys.TryAdd(tag.Key, 0);
            tagValues.TryAdd(tag.Value?.ToString() ?? "", 0);
        }
        sums.AddOrUpdate(instrument.Name, value, (_, s) => s + value);
        if (reason is not null) sums.AddOrUpdate(instrument.Name + "|reason=" + reason, value, (_, s) => s + value);
    }

    public long Sum(string instrument, (string Key, string Value)? tag = null) =>
        sums.GetValueOrDefault(tag is { } t ? $"{instrument}|{t.Key}={t.Value}" : instrument);

    public void Dispose() => listener.Dispose();
}

/// <summary>convocore.analytics.records of this system's silos, per silo (a silo's meters carry its meter factory as scope).</summary>
internal sealed class IngestionMetrics : IDisposable
{
    private readonly MeterListener listener = new();
    private long duplicates;

    public IngestionMetrics(IReadOnlyList<IMeterFactory> silos)
    {
        Applied = silos.ToDictionary(s => (object)s, _ => 0L, ReferenceEqualityComparer.Instance);
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "convocore.analytics.records" && instrument.Meter.Scope is { } scope && Applied.ContainsKey(scope))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var result = tags.ToArray().FirstOrDefault(t => t.Key == "result").Value as string;
            if (result == "duplicate") Interlocked.Add(ref duplicates, value);
            if (result != "applied") return;
            lock (Applied) Applied[instrument.Meter.Scope!] += value;
        });
        listener.Start();
    }

    public Dictionary<object, long> Applied { get; }
    public long Duplicates => Interlocked.Read(ref duplicates);

    public void Dispose() => listener.Dispose();
}
