using Convocore.Contracts.Routing;

namespace Convocore.Contracts.Analytics;

/// <summary>
/// Figures over the calls that started in [From, To). Durations are of routed calls only (a failed call lasts as long
/// as our decision), in seconds with millisecond precision; P95 is nearest-rank.
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.call-stats")]
public sealed record CallStats(
    [property: Id(0)] DateTimeOffset From,
    [property: Id(1)] DateTimeOffset To,
    [property: Id(2)] int TotalCalls,
    [property: Id(3)] int SuccessfulCalls,
    [property: Id(4)] int FailedCalls,
    [property: Id(5)] IReadOnlyDictionary<string, int> FailureReasons,
    [property: Id(6)] double AverageDurationSeconds,
    [property: Id(7)] double P95DurationSeconds,
    [property: Id(8)] IReadOnlyList<int> CallsByHourOfDay,
    [property: Id(9)] IReadOnlyList<int> CallsByDayOfWeek,
    [property: Id(10)] IReadOnlyList<DayCount> CallsByDay,
    [property: Id(11)] IReadOnlyList<HourCount> CallsByHour,
    [property: Id(12)] IReadOnlyDictionary<string, int> ByRegion,
    [property: Id(13)] IReadOnlyList<NumberVolume> ByNumber,
    [property: Id(14)] int FallbackCalls = 0,
    [property: Id(15)] IReadOnlyDictionary<string, int>? FallbackReasons = null);

[GenerateSerializer, Immutable, Alias("convocore.day-count")]
public sealed record DayCount([property: Id(0)] DateOnly Date, [property: Id(1)] int Count);

[GenerateSerializer, Immutable, Alias("convocore.hour-count")]
public sealed record HourCount([property: Id(0)] DateTimeOffset Hour, [property: Id(1)] int Count);

/// <param name="PhoneNumber">E.164 where the dialed number normalised, else the DID as dialed.</param>
[GenerateSerializer, Immutable, Alias("convocore.number-volume")]
public sealed record NumberVolume(
    [property: Id(0)] string PhoneNumber,
    [property: Id(1)] int TotalCalls,
    [property: Id(2)] int SuccessfulCalls,
    [property: Id(3)] int FailedCalls,
    [property: Id(4)] DateTimeOffset LastCallAt);

/// <summary>A call log query: newest first; <see cref="Cursor"/> is the nextCursor of the previous page.</summary>
[GenerateSerializer, Immutable, Alias("convocore.call-log-query")]
public sealed record CallLogQuery(
    [property: Id(0)] DateTimeOffset From,
    [property: Id(1)] DateTimeOffset To,
    [property: Id(2)] string? PhoneNumber,
    [property: Id(3)] string? AgentId,
    [property: Id(4)] CallOutcome? Outcome,
    [property: Id(5)] string? Cursor,
    [property: Id(6)] int Limit);

[GenerateSerializer, Immutable, Alias("convocore.call-log-page")]
public sealed record CallLogPage([property: Id(0)] IReadOnlyList<CallLogEntry> Items, [property: Id(1)] string? NextCursor);

[GenerateSerializer, Immutable, Alias("convocore.call-log-entry")]
public sealed record CallLogEntry(
    [property: Id(0)] DateTimeOffset StartedAt,
    [property: Id(1)] string Caller,
    [property: Id(2)] string? PhoneNumber,
    [property: Id(3)] string Dialed,
    [property: Id(4)] string? AgentId,
    [property: Id(5)] string? Region,
    [property: Id(6)] CallOutcome Outcome,
    [property: Id(7)] string? Reason,
    [property: Id(8)] double? DurationSeconds,
    [property: Id(9)] DateTimeOffset? EndedAt,
    [property: Id(10)] string ChannelId,
    [property: Id(11)] bool Test,
    [property: Id(12)] string? Fallback = null,
    [property: Id(13)] string? Hook = null);

/// <summary>
/// Reads the analytics and the call log that each silo's ingester keeps in Redis. A stateless worker: every silo
/// answers from Redis, nothing is held in memory.
/// </summary>
[Alias("convocore.call-analytics")]
public interface ICallAnalyticsGrain : IGrainWithIntegerKey
{
    /// <summary>Null when the number is neither the workspace's now nor had calls in it: the caller answers 404.</summary>
    /// <param name="includeTests">Whether test calls (<see cref="CallRecord.Test"/>) count; they are left out by default.</param>
    Task<CallStats?> ForNumber(string workspaceId, string phoneNumber, DateTimeOffset from, DateTimeOffset to, bool includeTests = false);

    Task<CallStats> ForWorkspace(string workspaceId, DateTimeOffset from, DateTimeOffset to, bool includeTests = false);

    /// <summary>Calls to numbers that belong to no workspace (unallocated, or failed before the lookup answered).</summary>
    Task<CallStats> Unowned(DateTimeOffset from, DateTimeOffset to);

    /// <summary>Null when the cursor is not one this log gave out.</summary>
    Task<CallLogPage?> CallLog(string workspaceId, CallLogQuery query);
}
