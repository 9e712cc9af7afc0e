using System.Text.Json.Serialization;

namespace Convocore.Contracts.Routing;

public enum CallOutcome
{
    /// <summary>Handed to its agent.</summary>
    Routed,
    Failed,
    /// <summary>Its agent could not take it: handed to the number's fallback (<see cref="CallRecord.Fallback"/>), the reason in <see cref="CallRecord.FailureReason"/>.</summary>
    Fallback,
}

/// <summary>
/// One call that reached our Stasis application. A failed call ends when we release it; a routed call ends when
/// Asterisk destroys the channel (we subscribe to it before handing it over), so its duration is real.
/// </summary>
/// <param name="FailureReason">unallocated, agent_unavailable, trunk_inactive, trunk_mismatch (the dialplan named
/// another trunk), internal or caller_hung_up (before the
/// handoff); null when routed. For a <see cref="CallOutcome.Fallback"/>, why the agent could not take it:
/// agent_not_voice_enabled, agent_voice_invalid or agent_not_found.</param>
/// <param name="Fallback">Where a fallback call went: agent:&lt;id&gt;, number:+E164 or the SIP URI.</param>
/// <param name="Hook">For a number with the routing hook, what the hook did: answered (its agent took the call), rejected
/// (it said busy or rejected), timeout, error (no answer, or not a 2xx), invalid (an answer we could not use, or an
/// agent that cannot take calls), none (the workspace has no hook: the number's own agent). Null for other numbers.</param>
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
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Test = false,
    string? Fallback = null,
    string? Hook = null);

public static class CallOutcomes
{
    /// <summary>How the API, metrics and traces name an outcome: routed, failed or fallback.</summary>
    public static string Name(CallOutcome outcome) => outcome switch
    {
        CallOutcome.Routed => "routed",
        CallOutcome.Fallback => "fallback",
        _ => "failed",
    };

    /// <summary>Handed over by us (to its agent or to its fallback): the call is open until its hangup handler reports its end.</summary>
    public static bool HandedOver(CallOutcome outcome) => outcome is CallOutcome.Routed or CallOutcome.Fallback;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CallRecord))]
public sealed partial class CallRecordJsonContext : JsonSerializerContext;
