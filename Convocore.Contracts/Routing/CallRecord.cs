using System.Text.Json.Serialization;

namespace Convocore.Contracts.Routing;

public enum CallOutcome
{
    /// <summary>Handed to its agent.</summary>
    Routed,
    Failed,
}

/// <summary>
/// One call that reached our Stasis application. A failed call ends when we release it; a routed call ends when
/// Asterisk destroys the channel (we subscribe to it before handing it over), so its duration is real.
/// </summary>
/// <param name="FailureReason">unallocated, agent_unavailable, trunk_inactive, trunk_mismatch (the dialplan named
/// another trunk), internal or caller_hung_up (before the
/// handoff); null when routed.</param>
/// <param name="Test">A test call placed from the dashboard or the API (POST /api/numbers/{phoneNumber}/test-call): in the
/// call log, flagged; out of the analytics figures unless asked for.</param>
public sealed record CallRecord(
    string ChannelId,
    string Dialed,
    string? PhoneNumber,
    string CallerNumber,
    string? WorkspaceId,
    string? TrunkId,
    string? AgentId,
    string? Region,
    string Server,
    DateTimeOffset StartedAt,
    CallOutcome Outcome,
    string? FailureReason,
    DateTimeOffset? EndedAt,
    double? DurationSeconds,
    string? EndCause,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Test = false);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CallRecord))]
public sealed partial class CallRecordJsonContext : JsonSerializerContext;
