using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Convocore.Contracts.Routing;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Analytics;

/// <summary>A call as the test planned it (or as the stream recorded it): what every figure is computed from here.</summary>
internal sealed record PlannedCall(DateTimeOffset StartedAt, string Number, string? Reason, string Region, double? Duration)
{
    public bool Routed => Reason is null;

    public static PlannedCall From(CallRecord r) =>
        new(r.StartedAt, r.PhoneNumber ?? r.Dialed, r.Outcome == CallOutcome.Routed ? null : r.FailureReason, r.Region!, r.DurationSeconds);
}

/// <summary>
/// The figures the API must give for a set of calls, computed here independently of the silo's code, and compared
/// field by field with what the API answered.
/// </summary>
internal static class ExpectedFigures
{
    public static void AssertMatches(JsonNode body, IReadOnlyCollection<PlannedCall> calls, DateTimeOffset from, DateTimeOffset to)
    {
        var inRange = calls.Where(c => c.StartedAt >= from && c.StartedAt < to).ToList();
        Assert.Equal(inRange.Count, Int(body, "totalCalls"));
        Assert.Equal(inRange.Count(c => c.Routed), Int(body, "successfulCalls"));
        Assert.Equal(inRange.Count(c => !c.Routed), Int(body, "failedCalls"));

        var reasons = inRange.Where(c => !c.Routed).GroupBy(c => c.Reason!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(reasons.OrderBy(r => r.Key, StringComparer.Ordinal), Counts(body["failureReasons"]!).OrderBy(r => r.Key, StringComparer.Ordinal));

        var regions = new Dictionary<string, int> { ["NA"] = 0, ["EU"] = 0 };
        foreach (var call in inRange) regions[call.Region]++;
        Assert.Equal(regions.OrderBy(r => r.Key), Counts(body["byRegion"]!).OrderBy(r => r.Key));

        // Routed calls only; nearest rank: the ceil(0.95 n)-th smallest.
        var durations = inRange.Where(c => c.Routed).Select(c => (decimal)c.Duration!.Value).Order().ToList();
        var average = durations.Count == 0 ? 0m : Math.Round(durations.Sum() / durations.Count, 3, MidpointRounding.AwayFromZero);
        var p95 = durations.Count == 0 ? 0m : durations[(int)Math.Ceiling(durations.Count * 95 / 100.0) - 1];
        Assert.Equal((double)average, body["averageDurationSeconds"]!.GetValue<double>());
        Assert.Equal((double)Math.Round(p95, 3), body["p95DurationSeconds"]!.GetValue<double>());

        var hourOfDay = Enumerable.Range(0, 24).Select(h => inRange.Count(c => c.StartedAt.UtcDateTime.Hour == h)).ToArray();
        Assert.Equal(hourOfDay, body["callsByHourOfDay"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray());

        DayOfWeek[] mondayFirst = [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday, DayOfWeek.Saturday, DayOfWeek.Sunday];
        Assert.Equal(mondayFirst.Select(d => inRange.Count(c => c.StartedAt.UtcDateTime.DayOfWeek == d)).ToArray(),
            body["callsByDayOfWeek"]!.AsArray().Select(n => n!.GetValue<int>()).ToArray());

        var days = new List<(string, int)>();
        for (var day = from.UtcDateTime.Date; day < to.UtcDateTime; day = day.AddDays(1))
        {
            var d = day;
            days.Add((d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), inRange.Count(c => c.StartedAt.UtcDateTime.Date == d)));
        }
        Assert.Equal(days, body["callsByDay"]!.AsArray().Select(n => (n!["date"]!.GetValue<string>(), n["count"]!.GetValue<int>())).ToList());

        var hours = new List<(DateTimeOffset, int)>();
        var firstHour = new DateTimeOffset(from.UtcDateTime.Date.AddHours(from.UtcDateTime.Hour), TimeSpan.Zero);
        for (var hour = firstHour; hour < to; hour = hour.AddHours(1))
        {
            var h = hour;
            hours.Add((h, inRange.Count(c => c.StartedAt >= h && c.StartedAt < h.AddHours(1))));
        }
        Assert.Equal(hours, body["callsByHour"]!.AsArray().Select(n => (DateTimeOffset.Parse(n!["hour"]!.GetValue<string>(), CultureInfo.InvariantCulture), n["count"]!.GetValue<int>())).ToList());
    }

    /// <summary>byNumber: every number's volume, busiest first.</summary>
    public static void AssertVolumes(JsonNode body, IReadOnlyCollection<PlannedCall> calls, DateTimeOffset from, DateTimeOffset to)
    {
        var expected = calls.Where(c => c.StartedAt >= from && c.StartedAt < to).GroupBy(c => c.Number)
            .Select(g => (g.Key, g.Count(), g.Count(c => c.Routed), g.Count(c => !c.Routed), g.Max(c => c.StartedAt)))
            .OrderByDescending(v => v.Item2).ThenBy(v => v.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, body["byNumber"]!.AsArray().Select(n => (n!["phoneNumber"]!.GetValue<string>(), n["totalCalls"]!.GetValue<int>(),
            n["successfulCalls"]!.GetValue<int>(), n["failedCalls"]!.GetValue<int>(),
            DateTimeOffset.Parse(n["lastCallAt"]!.GetValue<string>(), CultureInfo.InvariantCulture))).ToList());
    }

    public static int Int(JsonNode body, string name) => body[name]!.GetValue<int>();

    private static Dictionary<string, int> Counts(JsonNode node) =>
        node.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<int>());
}

internal static class AnalyticsApi
{
    public static string Time(DateTimeOffset t) => Uri.EscapeDataString(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    public static async Task<JsonNode> GetOk(this ApiClient api, string path)
    {
        var response = await api.Get(path);
        Assert.True(response.Status == HttpStatusCode.OK, $"GET {path}: {response}");
        return response.Body!;
    }

    /// <summary>Every row of the call log for a query, following nextCursor to the end.</summary>
    public static async Task<List<JsonNode>> AllCalls(this ApiClient api, string query, int limit)
    {
        var rows = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = await api.GetOk($"/api/calls?{query}&limit={limit}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            var items = page["items"]!.AsArray();
            Assert.True(items.Count <= limit);
            rows.AddRange(items.Select(i => i!));
            cursor = page["nextCursor"]?.GetValue<string>();
            if (cursor is not null) Assert.Equal(limit, items.Count);
        }
        while (cursor is not null);
        return rows;
    }

    /// <summary>Monday 00:00 UTC, <paramref name="weeks"/> weeks before this week's: inside retention, and a week of its own per test.</summary>
    public static DateTimeOffset MondayWeeksAgo(int weeks)
    {
        var today = DateTime.UtcNow.Date;
        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7) - 7 * weeks);
        return new DateTimeOffset(monday, TimeSpan.Zero);
    }
}
