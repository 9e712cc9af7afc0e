using Convocore.Contracts.Analytics;
using Convocore.Contracts.Routing;
using Convocore.Contracts.Trunks;

namespace Convocore.Tests.Analytics;

/// <summary>
/// The figures of a set of calls computed from every record, as the product did before rollups: the reference the
/// rollup answers are compared with.
/// </summary>
internal static class RecordByRecordFigures
{
    public static CallStats Compute(DateTimeOffset from, DateTimeOffset to, IReadOnlyList<CallRecord> calls, bool byNumber)
    {
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var regions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var region in Enum.GetNames<Region>()) regions[region] = 0;
        var hourOfDay = new int[24];
        var dayOfWeek = new int[7];
        var firstDay = DateOnly.FromDateTime(from.UtcDateTime);
        var days = new int[DateOnly.FromDateTime(to.UtcDateTime.AddTicks(-1)).DayNumber - firstDay.DayNumber + 1];
        var firstHour = FloorHour(from);
        var hours = new int[(int)((FloorHour(to.AddTicks(-1)) - firstHour).Ticks / TimeSpan.TicksPerHour) + 1];
        var durations = new List<double>();
        var fallbackReasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var numbers = new Dictionary<string, (int Total, int Routed, int Fallback, DateTimeOffset Last)>(StringComparer.Ordinal);
        var routed = 0;
        var fallbacks = 0;

        foreach (var call in calls)
        {
            var started = call.StartedAt.UtcDateTime;
            if (call.Outcome == CallOutcome.Routed)
            {
                routed++;
                if (call.DurationSeconds is { } d) durations.Add(d);
            }
            else if (call.Outcome == CallOutcome.Fallback)
            {
                fallbacks++;
                var reason = call.FailureReason ?? "internal";
                fallbackReasons[reason] = fallbackReasons.GetValueOrDefault(reason) + 1;
            }
            else
            {
                var reason = call.FailureReason ?? "internal";
                reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
            }
            if (call.Region is { } r) regions[r] = regions.GetValueOrDefault(r) + 1;
            hourOfDay[started.Hour]++;
            dayOfWeek[((int)started.DayOfWeek + 6) % 7]++;
            days[DateOnly.FromDateTime(started).DayNumber - firstDay.DayNumber]++;
            hours[(int)((FloorHour(call.StartedAt) - firstHour).Ticks / TimeSpan.TicksPerHour)]++;
            if (byNumber)
            {
                var number = call.PhoneNumber ?? call.Dialed;
                var (total, ok, fallback, last) = numbers.GetValueOrDefault(number);
                numbers[number] = (total + 1, ok + (call.Outcome == CallOutcome.Routed ? 1 : 0), fallback + (call.Outcome == CallOutcome.Fallback ? 1 : 0),
                    call.StartedAt > last ? call.StartedAt : last);
            }
        }

        durations.Sort();
        return new CallStats(from, to, calls.Count, routed, calls.Count - routed - fallbacks,
            reasons.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal),
            // In decimal, so the mean of millisecond durations is exact before it is rounded.
            durations.Count == 0 ? 0 : (double)Math.Round(durations.Sum(d => (decimal)d) / durations.Count, 3, MidpointRounding.AwayFromZero),
            durations.Count == 0 ? 0 : Seconds(durations[NearestRank(95, durations.Count) - 1]),
            hourOfDay, dayOfWeek,
            days.Select((count, i) => new DayCount(firstDay.AddDays(i), count)).ToArray(),
            hours.Select((count, i) => new HourCount(firstHour.AddHours(i), count)).ToArray(),
            regions,
            numbers.OrderByDescending(n => n.Value.Total).ThenBy(n => n.Key, StringComparer.Ordinal)
                .Select(n => new NumberVolume(n.Key, n.Value.Total, n.Value.Routed, n.Value.Total - n.Value.Routed - n.Value.Fallback, n.Value.Last)).ToArray(),
            fallbacks,
            fallbackReasons.OrderBy(r => r.Key, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal));
    }

    /// <summary>Nearest rank: the smallest value with at least p% of the values at or below it (1-based).</summary>
    public static int NearestRank(int percentile, int count) => Math.Max(1, (percentile * count + 99) / 100);

    /// <summary>Seconds with millisecond precision, which is what Asterisk's timestamps carry.</summary>
    public static double Seconds(double seconds) => Math.Round(seconds, 3, MidpointRounding.AwayFromZero);

    private static DateTimeOffset FloorHour(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, 0, 0, TimeSpan.Zero);
    }
}
