using System.Globalization;
using System.Text.Json;
using Convocore.Contracts.Analytics;
using Convocore.Contracts.Routing;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using StackExchange.Redis;
using CallOutcome = Convocore.Contracts.Routing.CallOutcome;

namespace Convocore.Tests.Analytics;

/// <summary>
/// The rollup answers against the record-by-record computation, on random calls and random ranges with ragged
/// edges: after ingestion, after retention cut through an hour, and for calls stored before rollups existed.
/// </summary>
[Collection(AnalyticsCollection.Name)]
public sealed class RollupFiguresTests(AnalyticsSystem system)
{
    private static readonly string?[] Reasons = [null, null, null, null, "unallocated", "agent_unavailable", "trunk_inactive", "caller_hung_up", "internal"];

    private static List<CallRecord> RandomCalls(Random random, string workspaceId, string[] numbers, DateTimeOffset start, TimeSpan span, int count, string server)
    {
        var calls = new List<CallRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var startedAt = start.AddMilliseconds(random.NextInt64((long)span.TotalMilliseconds));
            var reason = Reasons[random.Next(Reasons.Length)];
            var routed = reason is null && random.Next(10) > 0;
            if (!routed && reason is null) reason = "agent_unavailable";
            // Log-uniform from 1 ms to an hour, so every part of the histogram is used; a few routed calls without one.
            double? duration = routed && random.Next(50) > 0 ? Math.Round(Math.Exp(random.NextDouble() * Math.Log(3_600_000))) / 1000.0 : null;
            if (!routed) duration = random.Next(2000) / 1000.0;
            var number = numbers[random.Next(numbers.Length)];
            // One in four of the calls not routed went to the number's fallback, for the reason its agent could not take it.
            var outcome = routed ? CallOutcome.Routed : random.Next(4) == 0 ? CallOutcome.Fallback : CallOutcome.Failed;
            calls.Add(new CallRecord($"rollup.{server}.{i}", number, number, "+15550000001", workspaceId, "trunk1", "agent1",
                random.Next(20) == 0 ? null : random.Next(2) == 0 ? "NA" : "EU", server, startedAt,
                outcome, routed ? null : reason,
                duration is null ? null : startedAt.AddSeconds(duration.Value), duration, null));
        }
        return calls;
    }

    /// <summary>Ragged ranges inside [start, start + span]: shorter than an hour, across an hour, within a day, across days.</summary>
    private static IEnumerable<(DateTimeOffset From, DateTimeOffset To)> RandomRanges(Random random, DateTimeOffset start, TimeSpan span)
    {
        var total = (long)span.TotalMilliseconds;
        yield return (start.AddHours(-1), start + span + TimeSpan.FromHours(1));
        foreach (var length in new[] { 1_000L, 1_800_000, 3_700_000, 7_300_000, 20 * 3_600_000L, 50 * 3_600_000L, 6 * 86_400_000L })
            for (var i = 0; i < 3; i++)
            {
                var from = start.AddMilliseconds(random.NextInt64(Math.Max(1, total - length)));
                yield return (from, from.AddMilliseconds(length + random.Next(1000)));
            }
        var hour = new DateTimeOffset(start.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        yield return (hour, hour.AddDays(2));
        yield return (hour.AddMinutes(-1), hour.AddDays(2).AddHours(3));
    }

    private async Task AssertSameAsRecordByRecord(string workspaceId, string[] numbers, IReadOnlyList<CallRecord> calls,
        IEnumerable<(DateTimeOffset From, DateTimeOffset To)> ranges)
    {
        var analytics = system.Client.GetGrain<ICallAnalyticsGrain>(0);
        foreach (var (from, to) in ranges)
        {
            var inRange = calls.Where(c => c.StartedAt >= from && c.StartedAt < to).OrderBy(c => c.StartedAt).ToList();
            var range = $"[{from:O}, {to:O})";
            Assert.True(Json(RecordByRecordFigures.Compute(from, to, inRange, byNumber: true)) == Json(await analytics.ForWorkspace(workspaceId, from, to)),
                $"workspace figures over {range}");
            foreach (var number in numbers)
            {
                var expected = RecordByRecordFigures.Compute(from, to, inRange.Where(c => c.PhoneNumber == number).ToList(), byNumber: false);
                Assert.True(Json(expected) == Json((await analytics.ForNumber(workspaceId, number, from, to))!), $"{number}'s figures over {range}");
            }
        }
    }

    private static string Json(CallStats stats) => JsonSerializer.Serialize(stats);

    private async Task WaitForCalls(string workspaceId, DateTimeOffset from, DateTimeOffset to, int count)
    {
        var analytics = system.Client.GetGrain<ICallAnalyticsGrain>(0);
        await Eventually.True(async () => (await analytics.ForWorkspace(workspaceId, from, to)).TotalCalls == count, $"{count} calls counted", 60);
    }

    [Fact]
    public async Task Rollup_figures_equal_the_record_by_record_figures_on_random_calls_and_ragged_ranges_also_after_retention()
    {
        var random = new Random(19);
        var workspaceId = "ws_rollup" + Guid.NewGuid().ToString("N")[..10];
        var numbers = TestNumbers.Next(3);
        // Far enough back that moving retention's clock cuts through these calls, and nothing else of this run.
        var start = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-200), TimeSpan.Zero).AddMinutes(17.5);
        var span = TimeSpan.FromDays(10);
        var calls = RandomCalls(random, workspaceId, numbers, start, span, 3000, "rollup-a");
        system.RetentionClock.Set(DateTimeOffset.UtcNow.AddDays(-150));
        try
        {
            system.Record(calls.ToArray());
            // Delivered again: still counted once.
            system.Record(calls.Take(200).ToArray());
            await WaitForCalls(workspaceId, start, start + span, calls.Count);
            await Task.Delay(300);
            await AssertSameAsRecordByRecord(workspaceId, numbers, calls, RandomRanges(random, start, span));

            // Retention cuts through an hour of the fourth day: what is left must still add up.
            var cutoff = start.AddDays(3).AddMinutes(41).AddMilliseconds(123);
            system.RetentionClock.Set(cutoff.AddDays(90));
            var left = calls.Where(c => c.StartedAt >= cutoff).ToList();
            await WaitForCalls(workspaceId, start.AddHours(-1), start + span, left.Count);
            await AssertSameAsRecordByRecord(workspaceId, numbers, left, RandomRanges(random, start, span));
        }
        finally
        {
            system.RetentionClock.Run();
        }
    }

    [Fact]
    public async Task An_edge_hour_whose_calls_all_lie_in_the_range_is_taken_from_its_rollup_and_a_partial_one_from_its_records()
    {
        var random = new Random(190);
        var workspaceId = "ws_edges" + Guid.NewGuid().ToString("N")[..10];
        var numbers = TestNumbers.Next(2);
        var hour = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-3).AddHours(5), TimeSpan.Zero);
        // Hour 0: calls only in minutes 10-50. Hour 1: calls all through it. Hour 2: minutes 0-20. Hour 4: minutes 40-60.
        var calls = RandomCalls(random, workspaceId, numbers, hour.AddMinutes(10), TimeSpan.FromMinutes(40), 150, "edge-a")
            .Concat(RandomCalls(random, workspaceId, numbers, hour.AddHours(1), TimeSpan.FromHours(1), 150, "edge-b"))
            .Concat(RandomCalls(random, workspaceId, numbers, hour.AddHours(2), TimeSpan.FromMinutes(20), 150, "edge-c"))
            .Concat(RandomCalls(random, workspaceId, numbers, hour.AddHours(4).AddMinutes(40), TimeSpan.FromMinutes(20), 150, "edge-d"))
            .ToList();
        system.Record(calls.ToArray());
        await WaitForCalls(workspaceId, hour, hour.AddHours(5), calls.Count);
        await Task.Delay(300);

        var ranges = new List<(DateTimeOffset, DateTimeOffset)>
        {
            (hour.AddMinutes(5), hour.AddHours(2).AddMinutes(30)),                 // both edges whole: hour 0 from 0:05, hour 2 to 2:30
            (hour.AddMinutes(5), hour.AddMinutes(55)),                             // one hour, all its calls inside
            (hour.AddMinutes(30), hour.AddHours(2).AddMinutes(10)),                // both edges partial
            (hour.AddMinutes(5), hour.AddHours(1).AddMinutes(30)),                 // left whole, right partial
            (hour.AddHours(1).AddMinutes(30), hour.AddHours(4).AddMinutes(50)),    // left partial, right partial
            (hour.AddHours(1).AddMinutes(30), hour.AddHours(4).AddMinutes(30)),    // right edge hour empty in range: hour 4 starts at :40
            (hour.AddHours(2).AddMilliseconds(1), hour.AddHours(2).AddMinutes(25)),// one hour, calls on both sides of from
            (hour.AddHours(3).AddMinutes(1), hour.AddHours(5).AddMinutes(-1)),     // hour 4's calls up to the last minute
        };
        await AssertSameAsRecordByRecord(workspaceId, numbers, calls, ranges);

        // The records of hour 0 gone (the rollups stay): a range whose left edge is hour 0, with all of its calls
        // inside, still counts them, so that edge read no record.
        var db = system.Db;
        var bucket = $"convocore:ws:{{{workspaceId}}}:";
        var members = calls.Where(c => c.StartedAt < hour.AddHours(1))
            .Select(c => (RedisValue)string.Create(CultureInfo.InvariantCulture, $"{c.StartedAt.ToUnixTimeMilliseconds():D13}|{c.Server}|{c.ChannelId}")).ToArray();
        await db.HashDeleteAsync(bucket + "call-records", members);
        var analytics = system.Client.GetGrain<ICallAnalyticsGrain>(0);
        var stats = await analytics.ForWorkspace(workspaceId, hour.AddMinutes(5), hour.AddHours(2).AddMinutes(30));
        Assert.Equal(calls.Count(c => c.StartedAt < hour.AddHours(2).AddMinutes(30)), stats.TotalCalls);
        // A partial hour 0 is read from its records, now gone.
        stats = await analytics.ForWorkspace(workspaceId, hour.AddMinutes(30), hour.AddHours(2).AddMinutes(30));
        Assert.Equal(calls.Count(c => c.StartedAt >= hour.AddHours(1) && c.StartedAt < hour.AddHours(2).AddMinutes(30)), stats.TotalCalls);

        // A range that ends after its last day's last call (as a range up to now does) takes that day whole from its
        // rollup: with every hour rollup of the day gone, the figures are the same. (A day less its hours before a
        // range, the other day-level path, is in the random ranges above.)
        var day = hour.ToUnixTimeMilliseconds() / 86_400_000;
        var hourKeys = Enumerable.Range(0, 24).SelectMany(h => new[] { $"{bucket}rollup:h:{day * 24 + h}" }
            .Concat(numbers.Select(n => $"{bucket}rollup:h:{day * 24 + h}:n:{n}"))).Select(k => (RedisKey)k).ToArray();
        var byNumber = await analytics.ForNumber(workspaceId, numbers[0], hour.AddDays(-2).AddMinutes(7), hour.AddHours(6).AddMinutes(3));
        var kept = await db.KeyDeleteAsync(hourKeys);
        Assert.True(kept > 0);
        stats = await analytics.ForWorkspace(workspaceId, hour.AddDays(-2).AddMinutes(7), hour.AddHours(6).AddMinutes(3));
        Assert.Equal(calls.Count, stats.TotalCalls);
        Assert.Equal(calls.Count(c => c.Outcome == CallOutcome.Routed), stats.SuccessfulCalls);
        var afterDeletion = await analytics.ForNumber(workspaceId, numbers[0], hour.AddDays(-2).AddMinutes(7), hour.AddHours(6).AddMinutes(3));
        Assert.Equal(calls.Count(c => c.PhoneNumber == numbers[0]), afterDeletion!.TotalCalls);
        Assert.Equal(JsonSerializer.Serialize(byNumber), JsonSerializer.Serialize(afterDeletion));
    }

    [Fact]
    public async Task Calls_stored_before_rollups_are_rolled_up_once_by_the_backfill_beside_new_ones()
    {
        var random = new Random(1919);
        var workspaceId = "ws_backfill" + Guid.NewGuid().ToString("N")[..10];
        var numbers = TestNumbers.Next(2);
        var start = AnalyticsApi.MondayWeeksAgo(9).AddMinutes(3.25);
        var span = TimeSpan.FromDays(5);
        var old = RandomCalls(random, workspaceId, numbers, start, span, 1500, "before-rollups");
        // As the product stored calls before rollups: the log, the records, the number logs, no rollups.
        var bucket = $"convocore:ws:{{{workspaceId}}}:";
        var db = system.Db;
        foreach (var call in old)
        {
            var member = string.Create(CultureInfo.InvariantCulture, $"{call.StartedAt.ToUnixTimeMilliseconds():D13}|{call.Server}|{call.ChannelId}");
            await db.HashSetAsync(bucket + "call-records", member, JsonSerializer.Serialize(call, CallRecordJsonContext.Default.CallRecord));
            await db.SortedSetAddAsync(bucket + "calls", member, 0);
            await db.SortedSetAddAsync(bucket + "calls:number:" + call.PhoneNumber, member, 0);
            await db.SetAddAsync(bucket + "call-numbers", call.PhoneNumber);
        }
        await db.SetAddAsync("convocore:analytics:buckets", workspaceId);

        // New calls arrive before the backfill has run, some of them among the old ones in time.
        var fresh = RandomCalls(random, workspaceId, numbers, start, span, 500, "after-rollups");
        system.Record(fresh.ToArray());
        await Eventually.True(async () => await db.SortedSetLengthAsync(bucket + "calls") == old.Count + fresh.Count, "the new calls in the log", 60);

        // The new calls too: they landed above the cursor, which is the backfill's until it is done.
        Assert.Equal(old.Count + fresh.Count, await system.BackfillNow());
        Assert.Equal(0, await system.BackfillNow());
        system.Record(fresh.Take(100).ToArray());
        var all = old.Concat(fresh).ToList();
        await Task.Delay(500);
        await AssertSameAsRecordByRecord(workspaceId, numbers, all, RandomRanges(random, start, span));
    }
}
