using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Convocore.Contracts.Routing;
using StackExchange.Redis;

namespace Convocore.Benchmarks;

/// <summary>
/// Analytics at a busy workspace's volume: synthetic call records in the product's stream format (50 numbers, spread
/// over the last 30 days) are appended to the stream and ingested by the silo, up to each volume in turn; then, per
/// volume, the median of several requests of <c>GET /api/analytics</c> (the last 30 days), one number's figures and a
/// call log page, beside the record-by-record floor: reading every record of the 30 days from Redis, which is what
/// the figures cost before rollups before any counting. Also: ingest rate of each bulk, Redis memory per call, and a
/// sustained phase at a fixed rate measuring the ingest lag (age of the oldest record not yet applied) every second.
/// Silo and web app run as processes of their own (Release), Redis with its append-only file.
/// </summary>
internal static class AnalyticsRun
{
    private const string Stream = "convocore:calls";

    public static async Task<int> Run(int[] volumes, int numbers, int requests, int sustainRate, int sustainSeconds)
    {
        using var redis = new LocalRedis();
        using var processes = await ApiProcesses.StartAsync(redis, maxConnections: 16, TimeSpan.FromSeconds(120));
        var http = processes.Http;
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",syncTimeout=60000,asyncTimeout=60000");
        var db = mux.GetDatabase();

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NumberManagementRun.OperatorKey);
        var workspace = await NumberManagementRun.Post(http, "/api/admin/workspaces", new { name = "bench", plan = "Enterprise" });
        var workspaceId = workspace["id"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", workspace["apiKey"]!.GetValue<string>());
        var dids = Enumerable.Range(0, numbers).Select(i => $"+1555300{i:D4}").ToArray();
        var baseline = UsedMemory(db);
        var random = new Random(19);
        var written = 0;
        Console.WriteLine($"analytics: {numbers} numbers, calls over the last 30 days, median of {requests} requests per figure; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine("| calls in the last 30 days | ingest (calls/s) | GET /api/analytics | one number's figures | call log page | record-by-record floor | Redis bytes per call |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var volume in volumes)
        {
            var now = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var batch = new List<Task>(1000);
            for (; written < volume; written++)
            {
                var started = now.AddMilliseconds(-random.NextInt64(60_000, 30L * 86_400_000));
                batch.Add(db.StreamAddAsync(Stream, "call", Record(random, workspaceId, dids[random.Next(numbers)], started, written)));
                if (batch.Count == 1000)
                {
                    await Task.WhenAll(batch);
                    batch.Clear();
                }
            }
            await Task.WhenAll(batch);
            await WaitIngested(db, TimeSpan.FromMinutes(30));
            var rate = (volume - (volumes.TakeWhile(v => v != volume).LastOrDefault())) / clock.Elapsed.TotalSeconds;

            var number = Uri.EscapeDataString(dids[0]);
            await Time(http, "/api/analytics", 1);
            var figures = await Time(http, "/api/analytics", requests);
            var one = await Time(http, $"/api/numbers/{number}/analytics", requests);
            var page = await Time(http, "/api/calls?limit=50", requests);
            var floor = new List<double>();
            for (var i = 0; i < requests; i++) floor.Add(await ReadEveryRecord(db, workspaceId, DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow));
            var perCall = (UsedMemory(db) - baseline) / (double)volume;
            Console.WriteLine($"| {volume:N0} | {rate:N0} | {Median(figures):F1} ms | {Median(one):F1} ms | {Median(page):F1} ms | {Median(floor):F0} ms | {perCall:N0} |");
        }
        if (volumes.Length > 0) await RollupMemory(mux, db, written);
        if (sustainSeconds > 0) await Sustain(http, db, workspaceId, dids, sustainRate, sustainSeconds, random, written);
        return 0;
    }

    private static string Record(Random random, string workspaceId, string number, DateTimeOffset started, int i)
    {
        var routed = random.Next(10) < 8;
        string?[] reasons = ["agent_unavailable", "trunk_inactive", "caller_hung_up", "internal"];
        double? duration = routed ? Math.Round(Math.Exp(random.NextDouble() * Math.Log(600_000)) + 1000) / 1000.0 : random.Next(1, 800) / 1000.0;
        var call = new CallRecord($"bench.{i}", number, number, "+15550000001", workspaceId, "trunk1", "agent1", random.Next(2) == 0 ? "NA" : "EU",
            "bench", started, routed ? CallOutcome.Routed : CallOutcome.Failed, routed ? null : reasons[random.Next(reasons.Length)],
            started.AddSeconds(duration!.Value), duration, routed ? "normal" : null);
        return JsonSerializer.Serialize(call, CallRecordJsonContext.Default.CallRecord);
    }

    private static async Task<List<double>> Time(HttpClient http, string path, int count)
    {
        var times = new List<double>(count);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(path);
            await response.Content.ReadAsByteArrayAsync();
            response.EnsureSuccessStatusCode();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return times;
    }

    /// <summary>The floor of the record-by-record figures: every record of the range read from Redis and parsed.</summary>
    private static async Task<double> ReadEveryRecord(IDatabase db, string workspaceId, DateTimeOffset from, DateTimeOffset to)
    {
        var started = Stopwatch.GetTimestamp();
        var bucket = $"convocore:ws:{{{workspaceId}}}:";
        RedisValue min = "[" + from.ToUnixTimeMilliseconds().ToString("D13", CultureInfo.InvariantCulture);
        RedisValue max = "(" + to.ToUnixTimeMilliseconds().ToString("D13", CultureInfo.InvariantCulture);
        var count = 0;
        while (true)
        {
            var members = (RedisValue[])(await db.ExecuteAsync("ZRANGEBYLEX", bucket + "calls", min, max, "LIMIT", 0, 1000))!;
            if (members.Length == 0) break;
            foreach (var body in await db.HashGetAsync(bucket + "call-records", members))
                if (JsonSerializer.Deserialize((string)body!, CallRecordJsonContext.Default.CallRecord) is not null) count++;
            if (members.Length < 1000) break;
            min = "(" + members[^1];
        }
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static async Task WaitIngested(IDatabase db, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await LagMs(db) is { } lag)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"ingest still {lag} ms behind");
            await Task.Delay(200);
        }
    }

    /// <summary>Age in ms of the oldest record not yet applied (pending, or not yet delivered); null when none.</summary>
    private static async Task<long?> LagMs(IDatabase db)
    {
        var pending = await db.StreamPendingAsync(Stream, "analytics");
        long? oldest = null;
        if (pending.PendingMessageCount > 0) oldest = IdMs(pending.LowestPendingMessageId);
        else
        {
            var groups = await db.StreamGroupInfoAsync(Stream);
            var group = groups.FirstOrDefault(g => g.Name == "analytics");
            var next = await db.StreamRangeAsync(Stream, group.Name is null ? "-" : "(" + group.LastDeliveredId, "+", 1);
            if (next.Length > 0) oldest = IdMs(next[0].Id);
        }
        return oldest is { } ms ? Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - ms) : null;
    }

    private static long IdMs(RedisValue id) => long.Parse(((string)id!).Split('-')[0], CultureInfo.InvariantCulture);

    private static long UsedMemory(IDatabase db)
    {
        var info = (string)db.Execute("INFO", "memory")!;
        var line = info.Split('\n').First(l => l.StartsWith("used_memory:", StringComparison.Ordinal));
        return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>What the rollups and duration sets take, of the memory per call.</summary>
    private static async Task RollupMemory(ConnectionMultiplexer mux, IDatabase db, int calls)
    {
        var server = mux.GetServers()[0];
        long rollups = 0, durations = 0;
        var keys = 0;
        foreach (var pattern in new[] { "*rollup:*", "*durations:*" })
        {
            var sizes = new List<Task<RedisResult>>();
            await foreach (var key in server.KeysAsync(pattern: pattern, pageSize: 1000))
                sizes.Add(db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0"));
            var total = (await Task.WhenAll(sizes)).Sum(r => (long)r);
            keys += sizes.Count;
            if (pattern.Contains("rollup")) rollups = total; else durations = total;
        }
        Console.WriteLine($"of it at {calls:N0} calls: rollups {rollups / (double)calls:N0} bytes per call, duration sets {durations / (double)calls:N0} bytes per call ({keys:N0} keys)");
    }

    private static async Task Sustain(HttpClient http, IDatabase db, string workspaceId, string[] dids, int rate, int seconds, Random random, int first)
    {
        Console.WriteLine($"sustained: {rate} calls/s for {seconds} s (records of calls that just ended), ingest lag sampled every second");
        var lags = new List<double>();
        var reads = new List<double>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var sampling = Task.Run(async () =>
        {
            var tick = 0;
            while (!stop.IsCancellationRequested)
            {
                lags.Add(await LagMs(db) ?? 0);
                if (++tick % 10 == 0) reads.AddRange(await Time(http, "/api/analytics", 1));
                if (tick % 60 == 0) Console.WriteLine($"  {tick} s: lag now {lags[^1]:F0} ms, max so far {lags.Max():F0} ms");
                await Task.Delay(1000);
            }
        });
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var i = first;
        while (!stop.IsCancellationRequested)
        {
            var due = (int)(clock.Elapsed.TotalSeconds * rate);
            var writes = new List<Task>(due - sent);
            for (; sent < due; sent++, i++)
                writes.Add(db.StreamAddAsync(Stream, "call", Record(random, workspaceId, dids[random.Next(dids.Length)], DateTimeOffset.UtcNow.AddSeconds(-random.Next(1, 600)), i)));
            await Task.WhenAll(writes);
            await Task.Delay(20);
        }
        await sampling;
        var sorted = lags.Order().ToArray();
        Console.WriteLine($"sustained: {sent:N0} calls in {clock.Elapsed.TotalSeconds:F0} s ({sent / clock.Elapsed.TotalSeconds:N0}/s); ingest lag median {LoadRun.Percentile(sorted, 50):F0} ms, " +
                          $"p99 {LoadRun.Percentile(sorted, 99):F0} ms, max {sorted.Max():F0} ms; GET /api/analytics meanwhile median {Median(reads):F1} ms (every 10 s)");
    }

    private static double Median(List<double> values) => NumberManagementRun.Percentile(values, 50);
}
