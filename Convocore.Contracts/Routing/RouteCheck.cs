namespace Convocore.Contracts.Routing;

/// <summary>The SIP provider a checked number is configured on.</summary>
[GenerateSerializer, Immutable, Alias("convocore.route-check-trunk")]
public sealed record RouteCheckTrunk([property: Id(0)] string Id, [property: Id(1)] string Name, [property: Id(2)] bool Active);

/// <summary>The agent a checked number is assigned to; <paramref name="Reason"/> is why it cannot take calls, if it cannot.</summary>
[GenerateSerializer, Immutable, Alias("convocore.route-check-agent")]
public sealed record RouteCheckAgent(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Title,
    [property: Id(2)] bool CanTakeCalls,
    [property: Id(3)] string? Reason);

/// <summary>The Asterisk server that serves the number's region, and its connection state.</summary>
[GenerateSerializer, Immutable, Alias("convocore.route-check-asterisk")]
public sealed record RouteCheckAsterisk([property: Id(0)] string Name, [property: Id(1)] AsteriskConnectionState State);

/// <summary>One reason a call would not reach its agent, or could not arrive at all; <paramref name="Code"/> is stable.</summary>
[GenerateSerializer, Immutable, Alias("convocore.route-check-problem")]
public sealed record RouteCheckProblem([property: Id(0)] string Code, [property: Id(1)] string Message);

/// <summary>
/// The number's fallback, and whether the call would go there now (<paramref name="Used"/>, with <paramref name="Reason"/>,
/// a <see cref="CallRecord.FailureReason"/> code). <paramref name="AgentTitle"/> and <paramref name="AgentCanTakeCalls"/> for an agent fallback.
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.route-check-fallback")]
public sealed record RouteCheckFallback(
    [property: Id(0)] Numbers.NumberFallback Destination,
    [property: Id(1)] bool Used,
    [property: Id(2)] string? Reason,
    [property: Id(3)] string? AgentTitle,
    [property: Id(4)] bool? AgentCanTakeCalls);

/// <summary>What a call to a number, as dialled, would meet now: decided by the call path's own routing table.</summary>
/// <param name="Outcome">"routed", "fallback" or "rejected".</param>
/// <param name="HangupCause">The Asterisk reason the call would be hung up with; null when routed.</param>
[GenerateSerializer, Immutable, Alias("convocore.route-check")]
public sealed record RouteCheck(
    [property: Id(0)] string Dialed,
    [property: Id(1)] string? PhoneNumber,
    [property: Id(2)] bool Configured,
    [property: Id(3)] RouteCheckTrunk? Trunk,
    [property: Id(4)] RouteCheckAgent? Agent,
    [property: Id(5)] string? Region,
    [property: Id(6)] RouteCheckAsterisk? AsteriskServer,
    [property: Id(7)] string Outcome,
    [property: Id(8)] string? HangupCause,
    [property: Id(9)] IReadOnlyList<RouteCheckProblem> Problems,
    [property: Id(10)] RouteCheckFallback? Fallback = null,
    [property: Id(11)] RouteCheckHook? RoutingHook = null);

/// <summary>
/// A number with routingHook: the workspace's hook decides each call (not called by the check); <paramref name="Url"/> is
/// null when the workspace has none, and the outcome is then the number's own agent's.
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.route-check-hook")]
public sealed record RouteCheckHook([property: Id(0)] string? Url);

/// <summary>The stable codes of <see cref="RouteCheckProblem"/>.</summary>
public static class RouteCheckCodes
{
    public const string NotE164 = "not_e164";
    public const string NotConfigured = "not_configured";
    public const string AgentNotVoiceEnabled = "agent_not_voice_enabled";
    public const string AgentVoiceInvalid = "agent_voice_invalid";
    public const string AgentNotFound = "agent_not_found";
    public const string TrunkInactive = "trunk_inactive";
    public const string TrunkMismatch = "trunk_mismatch";
    public const string NoAsterisk = "no_asterisk";
    public const string FallbackAgentUnavailable = "fallback_agent_unavailable";
    public const string RoutingHookMissing = "routing_hook_missing";
}

/// <summary>
/// Checks how a call to a number would be routed, with the silo's own routing table (the call path's decision, not a copy
/// of its rules). Stateless: any silo answers.
/// </summary>
[Alias("convocore.route-check-grain")]
public interface IRouteCheckGrain : IGrainWithIntegerKey
{
    /// <param name="dialed">The number as a provider would send it.</param>
    /// <param name="trunkId">The workspace's SIP provider the call would come in on, or null when none is named.</param>
    /// <returns>Null when <paramref name="trunkId"/> is not a SIP provider of the workspace.</returns>
    Task<RouteCheck?> Check(string workspaceId, string dialed, string? trunkId);
}
