using System.Globalization;
using Convocore.Contracts.Analytics;
using Convocore.Contracts.Routing;
using Convocore.Contracts.Trunks;
using StackExchange.Redis;

namespace Convocore.Silo.Analytics;

/// <summary>
/// The figures of a range, flat in the number of calls: whole days and whole hours from the rollups
/// (<see cref="CallRollup"/>), an edge hour also whole when its calls' start times all lie inside the range (so the
/// current hour of a range up to now is one hash), else the ragged minutes of that edge from the call records.
/// Counts are exact, and so is
/// the p95: the merged histogram names the bucket holding its rank, the days' duration sets give that bucket's values.
/// All in UTC.
/// </summary>
internal sealed class CallFigures(CallStore store)
{
    public async Task<CallStats> Compute(string? workspaceId, string? phoneNumber, DateTimeOffset from, DateTimeOffset to, bool byNumber, bool includeTests)
    {
        var bucket = store.Base(workspaceId);
        string[] bases = includeTests ? [bucket, bucket + CallStore.TestRollups] : [bucket];
        var db = store.Db;
        var fromMs = from.ToUnixTimeMilliseconds();
        var toMs = to.ToUnixTimeMilliseconds();
        var sums = new Sums();

        // The day the range ends in, when the range starts before it and all the day's calls so far lie inside (a
        // range up to now): that day whole from its rollup, and the hours below stop at its start.
        long? lastDay = null;
        var endDay = Math.DivRem(toMs, CallRollup.DayMs, out var intoEndDay);
        if (intoEndDay > 0 && endDay * CallRollup.DayMs > fromMs)
        {
            var days = bases.Select(b => db.HashGetAllAsync(CallRollup.Day(b, endDay, phoneNumber))).ToArray();
            var read = await Task.WhenAll(days);
            if (read.All(fields => fields.Length == 0 || Inside(fields, fromMs, toMs)))
            {
                foreach (var fields in read) sums.AddRollup(fields, null, endDay, byNumber);
                lastDay = endDay;
                toMs = endDay * CallRollup.DayMs;
            }
        }

        // Whole hours [h0, h1), of which whole days [d0, d1); the edge hours around them are taken whole when all
        // their calls lie inside the range, else their part of the range comes from the records.
        var h0 = CeilDiv(fromMs, CallRollup.HourMs);
        var h1 = Math.DivRem(toMs, CallRollup.HourMs, out _);
        var edges = new List<Edge>(2);
        if (fromMs < h0 * CallRollup.HourMs && fromMs < toMs) edges.Add(new Edge(h0 - 1, fromMs, Math.Min(toMs, h0 * CallRollup.HourMs)));
        if (h1 >= h0 && h1 * CallRollup.HourMs < toMs) edges.Add(new Edge(h1, h1 * CallRollup.HourMs, toMs));
        var rollups = new List<(Task<HashEntry[]> Fields, long? Hour, long Day, int Sign)>();
        var edgeRollups = new List<(Task<HashEntry[]> Fields, Edge Edge, int Base)>();
        // The day the range starts in, when more than half of it is in the range: that day's rollup less its hours
        // before the range (the left edge hour among them, which then adds its part back), so at most 12 hours are read.
        long? firstDay = null;
        var batch = db.CreateBatch();
        for (var i = 0; i < bases.Length; i++)
            foreach (var edge in edges)
                edgeRollups.Add((batch.HashGetAllAsync(CallRollup.Hour(bases[i], edge.Hour, phoneNumber)), edge, i));
        if (h0 < h1)
        {
            var d0 = CeilDiv(h0, 24);
            var d1 = Math.DivRem(h1, 24, out _);
            void Hours(long start, long end, int sign = 1)
            {
                foreach (var b in bases)
                    for (var h = start; h < end; h++) rollups.Add((batch.HashGetAllAsync(CallRollup.Hour(b, h, phoneNumber)), h, h / 24, sign));
            }
            void Days(long start, long end)
            {
                foreach (var b in bases)
                    for (var d = start; d < end; d++) rollups.Add((batch.HashGetAllAsync(CallRollup.Day(b, d, phoneNumber)), null, d, 1));
            }
            if (d0 <= d1)
            {
                if (d0 * 24 - h0 > 12)
                {
                    firstDay = d0 - 1;
                    Days(d0 - 1, d0);
                    Hours((d0 - 1) * 24, fromMs < h0 * CallRollup.HourMs ? h0 - 1 : h0, -1);
                }
                else
                {
                    Hours(h0, d0 * 24);
                }
                Days(d0, d1);
                Hours(d1 * 24, h1);
            }
            else
            {
                Hours(h0, h1);
            }
        }
        batch.Execute();
        foreach (var (fields, hour, day, sign) in rollups) sums.AddRollup(await fields, hour, day, byNumber, sign);

        // Per rollup base, the span of start times its rollups answered (for the p95's duration sets), and the edges
        // whose records it needs.
        var covered = bases.Select(_ => (From: h0 * CallRollup.HourMs, To: Math.Max(h0, h1) * CallRollup.HourMs)).ToArray();
        var fromRecords = new List<(Edge Edge, bool[] Bases)>(edges.Count);
        foreach (var edge in edges)
        {
            var needs = new bool[bases.Length];
            foreach (var (fields, e, i) in edgeRollups)
            {
                if (e != edge) continue;
                var entries = await fields;
                if (firstDay is not null && edge.Hour == h0 - 1) sums.AddRollup(entries, edge.Hour, edge.Hour / 24, byNumber, -1);
                if (entries.Length > 0 && !Inside(entries, edge.From, edge.To))
                {
                    needs[i] = true;
                    continue;
                }
                sums.AddRollup(entries, edge.Hour, edge.Hour / 24, byNumber);
                var hourStart = edge.Hour * CallRollup.HourMs;
                covered[i] = covered[i].From == covered[i].To
                    ? (hourStart, hourStart + CallRollup.HourMs)
                    : (Math.Min(covered[i].From, hourStart), Math.Max(covered[i].To, hourStart + CallRollup.HourMs));
            }
            if (needs.Any(n => n)) fromRecords.Add((edge, needs));
        }
        if (lastDay is { } whole)
            for (var i = 0; i < covered.Length; i++)
                covered[i] = covered[i].From == covered[i].To
                    ? (whole * CallRollup.DayMs, (whole + 1) * CallRollup.DayMs)
                    : (covered[i].From, (whole + 1) * CallRollup.DayMs);
        var reads = fromRecords.Select(r => store.Range(workspaceId, phoneNumber, Time(r.Edge.From), Time(r.Edge.To))).ToArray();
        for (var r = 0; r < reads.Length; r++)
            foreach (var call in await reads[r])
                if ((includeTests || !call.Test) && fromRecords[r].Bases[call.Test ? 1 : 0]) sums.AddRecord(call, byNumber);

        var p95 = 0.0;
        if (sums.Durations > 0)
        {
            var rank = NearestRank(95, (int)sums.Durations);
            var (bucketIndex, within) = sums.Locate(rank);
            var (lower, upper) = CallRollup.Bounds(bucketIndex);
            var values = sums.EdgeDurations.Where(ms => ms >= lower && ms < upper).ToList();
            var sets = new List<(Task<SortedSetEntry[]> Read, long From, long To)>();
            for (var i = 0; i < bases.Length; i++)
            {
                var (startMs, endMs) = covered[i];
                if (startMs >= endMs) continue;
                for (var d = startMs / CallRollup.DayMs; d <= (endMs - 1) / CallRollup.DayMs; d++)
                    sets.Add((db.SortedSetRangeByScoreWithScoresAsync(CallRollup.Durations(bases[i], d, phoneNumber), lower, upper, Exclude.Stop), startMs, endMs));
            }
            foreach (var (read, startMs, endMs) in sets)
                foreach (var entry in await read)
                {
                    var started = long.Parse(((string)entry.Element!).AsSpan(0, 13), CultureInfo.InvariantCulture);
                    if (started >= startMs && started < endMs) values.Add((long)entry.Score);
                }
            values.Sort();
            // Calls landing between the two reads can shift the rank by one; never outside the bucket's values.
            if (values.Count > 0) p95 = values[Math.Clamp(within - 1, 0, values.Count - 1)] / 1000.0;
        }
        return sums.Stats(from, to, p95);
    }

    /// <summary>An edge hour and the part of it in the range, [From, To) in Unix ms.</summary>
    private readonly record struct Edge(long Hour, long From, long To);

    /// <summary>
    /// True when the hour's bounds were kept for all its calls (older rollups have none) and lie in [from, to).
    /// The hash is read in one step, so its bounds and its counts are of the same calls.
    /// </summary>
    private static bool Inside(HashEntry[] fields, long from, long to)
    {
        long n = 0, kept = 0, lo = long.MinValue, hi = long.MaxValue;
        foreach (var entry in fields)
            switch ((string)entry.Name!)
            {
                case "n": n = (long)entry.Value; break;
                case "bn": kept = (long)entry.Value; break;
                case "lo": lo = (long)entry.Value; break;
                case "hi": hi = (long)entry.Value; break;
            }
        return n > 0 && kept == n && lo >= from && hi < to;
    }

    /// <summary>Nearest rank: the smallest value with at least p% of the values at or below it (1-based).</summary>
    public static int NearestRank(int percentile, int count) => Math.Max(1, (percentile * count + 99) / 100);

    /// <summary>Seconds with millisecond precision, which is what Asterisk's timestamps carry.</summary>
    public static double Seconds(double seconds) => Math.Round(seconds, 3, MidpointRounding.AwayFromZero);

    private static long CeilDiv(long value, long by) => value >= 0 ? (value + by - 1) / by : value / by;

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>What the rollups and the edge records add up to.</summary>
    private sealed class Sums
    {
        private long total, routed, fallbacks, durationSumMs;
        private readonly Dictionary<string, long> reasons = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> fallbackReasons = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> regions = new(StringComparer.Ordinal);
        private readonly Dictionary<int, long> histogram = [];
        private readonly Dictionary<long, long> perHour = [];
        private readonly Dictionary<string, (long Total, long Routed, long Fallback, long Last)> numbers = new(StringComparer.Ordinal);

        public long Durations { get; private set; }
        public List<long> EdgeDurations { get; } = [];

        /// <summary>Adds a rollup's counts, or with sign -1 takes them out (a day less the hours outside a range).</summary>
        public void AddRollup(HashEntry[] fields, long? hour, long day, bool byNumber, int sign = 1)
        {
            foreach (var entry in fields)
            {
                var name = (string)entry.Name!;
                var stored = (long)entry.Value;
                if (stored <= 0) continue;
                var value = sign * stored;
                switch (name)
                {
                    case "n":
                        total += value;
                        if (hour is { } h) perHour[h] = perHour.GetValueOrDefault(h) + value;
                        continue;
                    case "ok": routed += value; continue;
                    case "dn": Durations += value; continue;
                    case "ds": durationSumMs += value; continue;
                    case "bn" or "lo" or "hi": continue;
                }
                var key = name[2..];
                switch (name[0])
                {
                    case 'f': Add(reasons, key, value); break;
                    case 'b':
                        fallbacks += value;
                        Add(fallbackReasons, key, value);
                        break;
                    case 'g': Add(regions, key, value); break;
                    case 'q':
                        var b = int.Parse(key, CultureInfo.InvariantCulture);
                        histogram[b] = histogram.GetValueOrDefault(b) + value;
                        break;
                    case 'h':
                        var fine = CallRollup.FromFineBucket(int.Parse(key, CultureInfo.InvariantCulture));
                        histogram[fine] = histogram.GetValueOrDefault(fine) + value;
                        break;
                    case 't' when hour is null:
                        var at = day * 24 + int.Parse(key, CultureInfo.InvariantCulture);
                        perHour[at] = perHour.GetValueOrDefault(at) + value;
                        break;
                    case 'c' when byNumber: numbers[key] = numbers.GetValueOrDefault(key) with { Total = numbers.GetValueOrDefault(key).Total + value }; break;
                    case 'o' when byNumber: numbers[key] = numbers.GetValueOrDefault(key) with { Routed = numbers.GetValueOrDefault(key).Routed + value }; break;
                    case 'x' when byNumber: numbers[key] = numbers.GetValueOrDefault(key) with { Fallback = numbers.GetValueOrDefault(key).Fallback + value }; break;
                    // Only the hours before a range are ever taken out, so the day's last call of a number with
                    // calls in the range is in the range.
                    case 'l' when byNumber && sign > 0: numbers[key] = numbers.GetValueOrDefault(key) with { Last = Math.Max(numbers.GetValueOrDefault(key).Last, value) }; break;
                }
            }
        }

        public void AddRecord(CallRecord call, bool byNumber)
        {
            total++;
            var ok = call.Outcome == CallOutcome.Routed;
            if (ok)
            {
                routed++;
                if (call.DurationSeconds is { } d)
                {
                    var ms = CallRollup.DurationMs(d);
                    Durations++;
                    durationSumMs += ms;
                    EdgeDurations.Add(ms);
                    var b = CallRollup.Bucket(ms);
                    histogram[b] = histogram.GetValueOrDefault(b) + 1;
                }
            }
            else if (call.Outcome == CallOutcome.Fallback)
            {
                fallbacks++;
                Add(fallbackReasons, call.FailureReason ?? "internal", 1);
            }
            else
            {
                Add(reasons, call.FailureReason ?? "internal", 1);
            }
            if (call.Region is { } r) Add(regions, r, 1);
            var started = call.StartedAt.ToUnixTimeMilliseconds();
            var hour = Math.DivRem(started, CallRollup.HourMs, out _);
            perHour[hour] = perHour.GetValueOrDefault(hour) + 1;
            if (!byNumber) return;
            var number = call.PhoneNumber ?? call.Dialed;
            var (t, o, f, last) = numbers.GetValueOrDefault(number);
            numbers[number] = (t + 1, o + (ok ? 1 : 0), f + (call.Outcome == CallOutcome.Fallback ? 1 : 0), Math.Max(last, started));
        }

        /// <summary>The histogram bucket holding the rank-th smallest duration, and its rank within the bucket.</summary>
        public (int Bucket, int Within) Locate(int rank)
        {
            long below = 0;
            foreach (var (b, count) in histogram.OrderBy(h => h.Key))
            {
                if (below + count >= rank) return (b, (int)(rank - below));
                below += count;
            }
            var last = histogram.Keys.Max();
            return (last, (int)histogram[last]);
        }

        public CallStats Stats(DateTimeOffset from, DateTimeOffset to, double p95)
        {
            var firstDay = DateOnly.FromDateTime(from.UtcDateTime);
            var days = new int[DateOnly.FromDateTime(to.UtcDateTime.AddTicks(-1)).DayNumber - firstDay.DayNumber + 1];
            var firstHour = from.ToUnixTimeMilliseconds() / CallRollup.HourMs;
            var lastHour = (to.ToUnixTimeMilliseconds() - 1) / CallRollup.HourMs;
            var hours = new int[lastHour - firstHour + 1];
            var hourOfDay = new int[24];
            var dayOfWeek = new int[7];
            foreach (var (hour, count) in perHour)
            {
                // Hours of a day taken out again (before the range) add up to nothing.
                if (count == 0) continue;
                var time = DateTimeOffset.FromUnixTimeMilliseconds(hour * CallRollup.HourMs).UtcDateTime;
                var n = (int)count;
                hours[hour - firstHour] += n;
                hourOfDay[time.Hour] += n;
                dayOfWeek[((int)time.DayOfWeek + 6) % 7] += n;
                days[DateOnly.FromDateTime(time).DayNumber - firstDay.DayNumber] += n;
            }
            var byRegion = Enum.GetNames<Region>().ToDictionary(r => r, _ => 0, StringComparer.Ordinal);
            foreach (var (region, count) in regions) byRegion[region] = (int)count;
            var firstHourTime = DateTimeOffset.FromUnixTimeMilliseconds(firstHour * CallRollup.HourMs);
            return new CallStats(from, to, (int)total, (int)routed, (int)(total - routed - fallbacks),
                reasons.Where(r => r.Value > 0).OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => (int)r.Value, StringComparer.Ordinal),
                // In decimal, so the mean of millisecond durations is exact before it is rounded.
                Durations == 0 ? 0 : (double)Math.Round((decimal)durationSumMs / Durations / 1000m, 3, MidpointRounding.AwayFromZero),
                Seconds(p95), hourOfDay, dayOfWeek,
                days.Select((count, i) => new DayCount(firstDay.AddDays(i), count)).ToArray(),
                hours.Select((count, i) => new HourCount(firstHourTime.AddHours(i), count)).ToArray(),
                byRegion,
                numbers.Where(n => n.Value.Total > 0)
                    .OrderByDescending(n => n.Value.Total).ThenBy(n => n.Key, StringComparer.Ordinal)
                    .Select(n => new NumberVolume(n.Key, (int)n.Value.Total, (int)n.Value.Routed, (int)(n.Value.Total - n.Value.Routed - n.Value.Fallback),
                        DateTimeOffset.FromUnixTimeMilliseconds(n.Value.Last))).ToArray(),
                (int)fallbacks,
                fallbackReasons.Where(r => r.Value > 0).OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(r => r.Key, r => (int)r.Value, StringComparer.Ordinal));
        }

        private static void Add(Dictionary<string, long> counts, string key, long value) => counts[key] = counts.GetValueOrDefault(key) + value;
    }
}
