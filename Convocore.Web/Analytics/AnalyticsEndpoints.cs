using System.Buffers.Text;
using System.Security.Claims;
using System.Text;
using Convocore.Contracts.Analytics;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Routing;
using Convocore.Web.Api;

namespace Convocore.Web.Analytics;

internal sealed record DayCountResponse(DateOnly Date, int Count);
internal sealed record HourCountResponse(DateTimeOffset Hour, int Count);
internal sealed record NumberVolumeResponse(string PhoneNumber, int TotalCalls, int SuccessfulCalls, int FailedCalls, DateTimeOffset LastCallAt);

internal sealed record NumberAnalyticsResponse(string PhoneNumber, DateTimeOffset From, DateTimeOffset To, int TotalCalls, int SuccessfulCalls,
    int FailedCalls, IReadOnlyDictionary<string, int> FailureReasons, double AverageDurationSeconds, double P95DurationSeconds,
    IReadOnlyList<int> CallsByHourOfDay, IEnumerable<DayCountResponse> CallsByDay, IReadOnlyDictionary<string, int> ByRegion,
    IReadOnlyList<int> CallsByDayOfWeek, IEnumerable<HourCountResponse> CallsByHour, int FallbackCalls, IReadOnlyDictionary<string, int> FallbackReasons);

internal sealed record WorkspaceAnalyticsResponse(string WorkspaceId, DateTimeOffset From, DateTimeOffset To, int TotalCalls, int SuccessfulCalls,
    int FailedCalls, IReadOnlyDictionary<string, int> FailureReasons, double AverageDurationSeconds, double P95DurationSeconds,
    IReadOnlyList<int> CallsByHourOfDay, IEnumerable<DayCountResponse> CallsByDay, IReadOnlyDictionary<string, int> ByRegion,
    IReadOnlyList<int> CallsByDayOfWeek, IEnumerable<HourCountResponse> CallsByHour, IEnumerable<NumberVolumeResponse> ByNumber,
    int FallbackCalls, IReadOnlyDictionary<string, int> FallbackReasons);

internal sealed record UnownedCallsResponse(DateTimeOffset From, DateTimeOffset To, int TotalCalls, IReadOnlyDictionary<string, int> FailureReasons,
    IReadOnlyList<int> CallsByHourOfDay, IEnumerable<DayCountResponse> CallsByDay, IReadOnlyDictionary<string, int> ByRegion,
    IReadOnlyList<int> CallsByDayOfWeek, IEnumerable<HourCountResponse> CallsByHour, IEnumerable<NumberVolumeResponse> ByNumber);

internal sealed record CallLogEntryResponse(DateTimeOffset StartedAt, string Caller, string? PhoneNumber, string Dialed, string? AgentId,
    string? Region, string Outcome, string? Reason, double? DurationSeconds, DateTimeOffset? EndedAt, string ChannelId, bool Test,
    string? Fallback, string? Hook);

internal sealed record CallLogResponse(IEnumerable<CallLogEntryResponse> Items, string? NextCursor);

internal static class AnalyticsEndpoints
{
    public const string InvalidFrom = "from must be an ISO 8601 date and time, e.g. 2026-11-01T00:00:00Z";
    public const string InvalidTo = "to must be an ISO 8601 date and time, e.g. 2026-11-02T00:00:00Z";
    public const string EmptyRange = "from must be before to";
    public const string RangeTooLong = "The time range may span at most 366 days";
    private static readonly IReadOnlyDictionary<string, int> Empty = new Dictionary<string, int>();
    public const string InvalidOutcome = "outcome must be routed, failed or fallback";
    public const string InvalidAgent = "agentId is not a valid agent id";
    public const string InvalidCursor = "cursor is not a cursor this call log gave out";
    public const string InvalidIncludeTests = "includeTests must be true or false";

    private static readonly TimeSpan DefaultRange = TimeSpan.FromDays(30);
    private static readonly TimeSpan MaxRange = TimeSpan.FromDays(366);
    private const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public static void MapAnalyticsEndpoints(this IEndpointRouteBuilder app)
    {
        var workspace = app.MapGroup("/api").RequireAuthorization(Principals.WorkspacePolicy).WithTags("Analytics");

        workspace.MapGet("/numbers/{phoneNumber}/analytics", async (string phoneNumber, string? from, string? to, string? includeTests, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (Range(from, to, out var start, out var end) is { } problem) return Problems.Invalid(problem);
            if (!IncludeTests(includeTests, out var tests)) return Problems.Invalid(InvalidIncludeTests);
            var stats = await Analytics(cluster).ForNumber(user.WorkspaceId(), phoneNumber, start, end, tests);
            return stats is null
                ? Problems.NotFound(NumberRules.NumberNotFound)
                : Results.Ok(new NumberAnalyticsResponse(phoneNumber, stats.From, stats.To, stats.TotalCalls, stats.SuccessfulCalls, stats.FailedCalls,
                    stats.FailureReasons, stats.AverageDurationSeconds, stats.P95DurationSeconds, stats.CallsByHourOfDay, Days(stats),
                    stats.ByRegion, stats.CallsByDayOfWeek, Hours(stats), stats.FallbackCalls, stats.FallbackReasons ?? Empty));
        }).Produces<NumberAnalyticsResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("Call figures of one number of this workspace over [from, to) (UTC; default the last 30 days)");

        workspace.MapGet("/analytics", async (string? from, string? to, string? includeTests, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (Range(from, to, out var start, out var end) is { } problem) return Problems.Invalid(problem);
            if (!IncludeTests(includeTests, out var tests)) return Problems.Invalid(InvalidIncludeTests);
            var workspaceId = user.WorkspaceId();
            var stats = await Analytics(cluster).ForWorkspace(workspaceId, start, end, tests);
            return Results.Ok(new WorkspaceAnalyticsResponse(workspaceId, stats.From, stats.To, stats.TotalCalls, stats.SuccessfulCalls, stats.FailedCalls,
                stats.FailureReasons, stats.AverageDurationSeconds, stats.P95DurationSeconds, stats.CallsByHourOfDay, Days(stats),
                stats.ByRegion, stats.CallsByDayOfWeek, Hours(stats), Numbers(stats), stats.FallbackCalls, stats.FallbackReasons ?? Empty));
        }).Produces<WorkspaceAnalyticsResponse>().ProducesProblems(StatusCodes.Status400BadRequest)
            .WithSummary("Call figures of the whole workspace over [from, to), with the volume of each number");

        workspace.MapGet("/calls", async (string? phoneNumber, string? agentId, string? outcome, string? from, string? to, string? cursor, string? limit,
            ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (phoneNumber is not null && E164.Validate(phoneNumber) is { } invalid) return Problems.From(invalid);
            if (agentId is not null && !Ids.IsWellFormed(agentId)) return Problems.Invalid(InvalidAgent);
            CallOutcome? wanted = outcome switch
            {
                null => null,
                _ when outcome.Equals("routed", StringComparison.OrdinalIgnoreCase) => CallOutcome.Routed,
                _ when outcome.Equals("failed", StringComparison.OrdinalIgnoreCase) => CallOutcome.Failed,
                _ when outcome.Equals("fallback", StringComparison.OrdinalIgnoreCase) => CallOutcome.Fallback,
                _ => (CallOutcome)(-1),
            };
            if (wanted == (CallOutcome)(-1)) return Problems.Invalid(InvalidOutcome);
            if (Range(from, to, out var start, out var end) is { } problem) return Problems.Invalid(problem);
            string? after = null;
            if (cursor is not null && (after = DecodeCursor(cursor)) is null) return Problems.Invalid(InvalidCursor);
            if (RequestValues.PageSize(limit, DefaultPageSize, MaxPageSize, out var size) is { } invalidLimit) return invalidLimit;

            var query = new CallLogQuery(start, end, phoneNumber, agentId, wanted, after, size);
            var page = await Analytics(cluster).CallLog(user.WorkspaceId(), query);
            return page is null
                ? Problems.Invalid(InvalidCursor)
                : Results.Ok(new CallLogResponse(page.Items.Select(c => new CallLogEntryResponse(c.StartedAt, c.Caller, c.PhoneNumber, c.Dialed,
                    c.AgentId, c.Region, CallOutcomes.Name(c.Outcome), c.Reason, c.DurationSeconds, c.EndedAt, c.ChannelId, c.Test, c.Fallback, c.Hook)),
                    page.NextCursor is null ? null : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(page.NextCursor))));
        }).Produces<CallLogResponse>().ProducesProblems(StatusCodes.Status400BadRequest)
            .WithSummary("The workspace's calls, newest first, a page at a time (limit, default 50, at most 200): pass nextCursor back as cursor");

        app.MapGet("/api/operator/unowned-calls", async (string? from, string? to, IClusterClient cluster) =>
        {
            if (Range(from, to, out var start, out var end) is { } problem) return Problems.Invalid(problem);
            var stats = await Analytics(cluster).Unowned(start, end);
            return Results.Ok(new UnownedCallsResponse(stats.From, stats.To, stats.TotalCalls, stats.FailureReasons, stats.CallsByHourOfDay,
                Days(stats), stats.ByRegion, stats.CallsByDayOfWeek, Hours(stats), Numbers(stats)));
        }).RequireAuthorization(Principals.OperatorPolicy).WithTags("Operator")
          .Produces<UnownedCallsResponse>().ProducesProblems(StatusCodes.Status400BadRequest)
          .WithSummary("Calls to numbers that belong to no workspace, by dialed number, over [from, to)");
    }

    private static ICallAnalyticsGrain Analytics(IClusterClient cluster) => cluster.GetGrain<ICallAnalyticsGrain>(0);

    private static IEnumerable<DayCountResponse> Days(CallStats stats) => stats.CallsByDay.Select(d => new DayCountResponse(d.Date, d.Count));
    private static IEnumerable<HourCountResponse> Hours(CallStats stats) => stats.CallsByHour.Select(h => new HourCountResponse(h.Hour, h.Count));
    private static IEnumerable<NumberVolumeResponse> Numbers(CallStats stats) =>
        stats.ByNumber.Select(n => new NumberVolumeResponse(n.PhoneNumber, n.TotalCalls, n.SuccessfulCalls, n.FailedCalls, n.LastCallAt));

    /// <summary>[from, to) in UTC; a time without an offset is UTC. Default: the 30 days up to now. Null when valid.</summary>
    /// <summary>Test calls are left out of the figures unless includeTests=true.</summary>
    private static bool IncludeTests(string? value, out bool include)
    {
        include = false;
        return value is null || bool.TryParse(value, out include);
    }

    private static string? Range(string? from, string? to, out DateTimeOffset start, out DateTimeOffset end)
    {
        start = end = default;
        if (to is null) end = DateTimeOffset.UtcNow;
        else if (!RequestValues.TryParseTime(to, out end)) return InvalidTo;
        if (from is null) start = end - DefaultRange;
        else if (!RequestValues.TryParseTime(from, out start)) return InvalidFrom;
        if (start >= end) return EmptyRange;
        if (end - start > MaxRange) return RangeTooLong;
        return null;
    }

    private static string? DecodeCursor(string cursor)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
