using System.Collections.Concurrent;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Contracts.Webhooks;
using Convocore.Silo.Numbers;
using Microsoft.Extensions.Options;

namespace Convocore.Silo.Routing;

/// <summary>
/// What to do with a call: continue it to its agent, continue it to its number's fallback (<see cref="FallbackReason"/>
/// says why), or hang up with an Asterisk reason.
/// </summary>
internal sealed record RouteDecision(NumberRoute? Number, string? PhoneNumber, string? HangupReason, CallFailure? Failure, string? FallbackReason = null)
{
    public static RouteDecision Continue(NumberRoute number) => number.Continue;

    /// <summary>The call goes to the number's fallback (<see cref="NumberRoute.Fallback"/>) for <paramref name="reason"/> (<see cref="FallbackReasons"/>).</summary>
    public static RouteDecision FallBack(NumberRoute number, string reason) => new(number, number.PhoneNumber, null, null, reason);

    public static RouteDecision Reject(NumberRoute number, string hangupReason, CallFailure failure) =>
        new(number, number.PhoneNumber, hangupReason, failure);

    public static RouteDecision Unallocated(string? phoneNumber) =>
        phoneNumber is null ? UnallocatedDid : new(null, phoneNumber, "unallocated", CallFailure.Unallocated);

    private static readonly RouteDecision UnallocatedDid = new(null, null, "unallocated", CallFailure.Unallocated);
}

/// <summary>
/// Why a call went to its number's fallback, as recorded (the call's reason) and counted in analytics. Each check that
/// can send a call to the fallback has its code here, the routing hook's (hook_*) among them.
/// </summary>
internal static class FallbackReasons
{
    public const string AgentNotVoiceEnabled = "agent_not_voice_enabled";
    public const string AgentVoiceInvalid = "agent_voice_invalid";
    public const string AgentNotFound = "agent_not_found";
    public const string HookTimeout = "hook_timeout";
    public const string HookError = "hook_error";
    public const string HookInvalidAnswer = "hook_invalid_answer";
    public const string HookAgentUnavailable = "hook_agent_unavailable";

    /// <summary>The code of an agent's unavailable reason (its product text, <see cref="IAgentGrain.UnavailableReason"/>).</summary>
    public static string OfAgent(string unavailableReason) => unavailableReason switch
    {
        AgentDraft.NotVoiceEnabled => AgentNotVoiceEnabled,
        NumberRules.AgentNotFound => AgentNotFound,
        _ => AgentVoiceInvalid,
    };
}

/// <summary>Why a call was not handed to an agent; recorded with the call.</summary>
internal enum CallFailure
{
    Unallocated,
    AgentUnavailable,
    TrunkInactive,
    /// <summary>The dialplan named a trunk other than the number's: refused as unallocated.</summary>
    TrunkMismatch,
    Internal,
    /// <summary>The routing hook answered {"reject": "busy"}.</summary>
    HookRejectedBusy,
    /// <summary>The routing hook answered {"reject": "rejected"}.</summary>
    HookRejected,
}

/// <summary>
/// A configured number as the call path needs it, built once when the table learns it. A table may hold a million of
/// these: ids and keys are shared between the numbers of a workspace (<paramref name="share"/>), and the variables are
/// a small array beside constant names.
/// </summary>
internal sealed class NumberRoute
{
    public NumberRoute(string phoneNumber, NumberAssignment assignment, Func<string, string> share)
    {
        PhoneNumber = phoneNumber;
        WorkspaceId = share(assignment.WorkspaceId);
        TrunkId = share(assignment.TrunkId);
        AgentId = share(assignment.AgentId);
        AgentKey = share(Ids.Scoped(WorkspaceId, AgentId));
        TrunkKey = share(Ids.Scoped(WorkspaceId, TrunkId));
        Region = share(assignment.Region.ToString());
        Variables =
        [
            new("CONVOCORE_AGENT_ID", AgentId),
            new("CONVOCORE_WORKSPACE_ID", WorkspaceId),
            new("CONVOCORE_TRUNK_ID", TrunkId),
            new("CONVOCORE_NUMBER", phoneNumber),
            new("CONVOCORE_PARAMS", assignment.AdditionalParamsJson ?? "{}"),
            CallEnd.HangupHandler,
        ];
        Continue = new RouteDecision(this, phoneNumber, null, null);
        RoutingHook = assignment.RoutingHook;
        AdditionalParamsJson = assignment.AdditionalParamsJson ?? "{}";
        if (assignment.Fallback is not { } fallback) return;
        Fallback = fallback;
        FallbackText = fallback.ToString();
        if (fallback.Kind == FallbackKind.Agent)
        {
            FallbackAgentId = share(fallback.Target);
            FallbackAgentKey = share(Ids.Scoped(WorkspaceId, FallbackAgentId));
            FallbackExtension = FallbackAgentId;
        }
        else FallbackExtension = fallback.Kind == FallbackKind.Number ? "number" : "sip";
        // The fallback agent's variables for an agent fallback (the number's otherwise), and where the call went.
        FallbackVariables =
        [
            new("CONVOCORE_AGENT_ID", FallbackAgentId ?? AgentId),
            new("CONVOCORE_WORKSPACE_ID", WorkspaceId),
            new("CONVOCORE_TRUNK_ID", TrunkId),
            new("CONVOCORE_NUMBER", phoneNumber),
            new("CONVOCORE_PARAMS", assignment.AdditionalParamsJson ?? "{}"),
            new("CONVOCORE_FALLBACK", fallback.Kind == FallbackKind.Agent ? FallbackText : fallback.Target),
            CallEnd.HangupHandler,
        ];
    }

    public string PhoneNumber { get; }
    public string WorkspaceId { get; }
    public string TrunkId { get; }
    public string AgentId { get; }
    public string AgentKey { get; }
    public string TrunkKey { get; }
    public string Region { get; }

    /// <summary>The workspace's routing hook decides each call (<see cref="RoutingHookCall"/>); the agent above is its static one.</summary>
    public bool RoutingHook { get; }

    /// <summary>The number's additionalParams (compact JSON, {} for none), for the routing hook's request.</summary>
    public string AdditionalParamsJson { get; }

    /// <summary>
    /// The channel variables a routed call gets, and the hangup handler that reports its end; shared by every call to the
    /// number, never changed.
    /// </summary>
    public KeyValuePair<string, string>[] Variables { get; }

    /// <summary>The decision of every call the number takes while its agent and trunk can: made once.</summary>
    public RouteDecision Continue { get; }

    /// <summary>Where calls go when the agent cannot take them; null: they are refused.</summary>
    public NumberFallback? Fallback { get; }

    /// <summary><see cref="Fallback"/> as the call record names it (agent:&lt;id&gt;, number:+E164, the SIP URI).</summary>
    public string? FallbackText { get; }

    /// <summary>An agent fallback's agent, and its scoped key for the table.</summary>
    public string? FallbackAgentId { get; }
    public string? FallbackAgentKey { get; }

    /// <summary>The extension a fallback call continues to: the agent id (agent context), or number / sip (the fallback context).</summary>
    public string? FallbackExtension { get; }

    /// <summary>The channel variables of a fallback call: the agent's for an agent fallback, and CONVOCORE_FALLBACK.</summary>
    public KeyValuePair<string, string>[]? FallbackVariables { get; }
}

/// <summary>What a table is keyed by: a phone number, or an agent's or a trunk's scoped id.</summary>
internal enum RoutingTableKind
{
    Number,
    Agent,
    Trunk,
    /// <summary>A workspace's routing hook, keyed by the workspace id.</summary>
    Hook,
}

/// <summary>Convocore:Routing.</summary>
internal sealed class RoutingOptions
{
    public const string Section = "Convocore:Routing";

    /// <summary>
    /// How long the table trusts an entry before it asks the grain again. Changes reach the table at once through
    /// <see cref="RouteInvalidator"/>; the lifetime bounds what a silo the invalidation could not reach may serve.
    /// </summary>
    public TimeSpan EntryLifetime { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The silo's own copy of what routing a call needs: number → assignment, agent → availability, trunk → active and
/// default country. A warm call is decided from memory with no grain call, no lock and no allocation but the normalised number;
/// a miss reads the number's stored assignment (<see cref="StoredNumbers"/>) or asks the agent or trunk grain (which answer
/// from memory once active) and keeps the answer.
/// The grains stay the truth: every change forgets the entry on every silo before it is acknowledged
/// (<see cref="RouteInvalidator"/>), so the next call, whichever silo takes it, asks the grain again.
/// </summary>
internal sealed class RoutingTable
{
    private readonly CachedLookup<NumberRoute?> numbers;
    private readonly CachedLookup<string?> agents;
    private readonly CachedLookup<TrunkRouting> trunks;
    private readonly CachedLookup<RoutingHookTarget?> hooks;

    public RoutingTable(IGrainFactory grains, StoredNumbers stored, IOptions<RoutingOptions> options, TimeProvider clock)
    {
        var lifetime = options.Value.EntryLifetime;
        // An unknown number is not kept: callers choose what they dial, so misses must not fill memory, and a number that
        // is added then needs nobody to forget it. Nor does it activate a grain: the stored state says it is free.
        numbers = new CachedLookup<NumberRoute?>(clock, lifetime, async phoneNumber =>
            await stored.Assignment(phoneNumber) is { } assignment ? new NumberRoute(phoneNumber, assignment, Share) : null,
            keep: route => route is not null);
        agents = new CachedLookup<string?>(clock, lifetime, agentKey => grains.GetGrain<IAgentGrain>(agentKey).UnavailableReason());
        trunks = new CachedLookup<TrunkRouting>(clock, lifetime, trunkKey => grains.GetGrain<ITrunkGrain>(trunkKey).Routing());
        hooks = new CachedLookup<RoutingHookTarget?>(clock, lifetime, workspaceId => grains.GetGrain<IWebhooksGrain>(workspaceId).RoutingHookTarget());
    }

    /// <summary>The workspace's routing hook (null: none), from memory when known.</summary>
    public ValueTask<RoutingHookTarget?> Hook(string workspaceId) => hooks.Get(workspaceId);

    /// <summary>Why the agent ("workspaceId/agentId") cannot take calls, null when it can: from memory when known.</summary>
    public ValueTask<string?> AgentUnavailable(string agentKey) => agents.Get(agentKey);

    /// <summary>
    /// Where a hooked call goes when the hook gave no usable answer: the static agent if it can take calls, else the
    /// number's fallback for <paramref name="hookReason"/>, else refused as the static agent's unavailability would be.
    /// </summary>
    public async ValueTask<RouteDecision> WithoutHook(NumberRoute number, string hookReason)
    {
        if (await agents.Get(number.AgentKey) is null) return RouteDecision.Continue(number);
        return await FallBack(number, hookReason) ?? RouteDecision.Reject(number, "normal_unspecified", CallFailure.AgentUnavailable);
    }

    /// <param name="dialed">The DID as the provider sent it.</param>
    /// <param name="trunkOfCall">"workspaceId/trunkId" of the trunk the call came in on, when the dialplan passes it:
    /// its default country turns national-format DIDs into E.164, and a number configured on another trunk is refused.</param>
    /// <returns>Completed at once when every entry the call needs is in the table.</returns>
    public async ValueTask<RouteDecision> Route(string dialed, string? trunkOfCall)
    {
        var defaultCountry = trunkOfCall is not null && E164.IsNationalFormat(dialed) && IsScopedId(trunkOfCall)
            ? (await trunks.Get(trunkOfCall)).DefaultCountry
            : null;
        if (E164.NormalizeDialed(dialed, defaultCountry) is not { } phoneNumber) return RouteDecision.Unallocated(null);
        if (await numbers.Get(phoneNumber) is not { } number) return RouteDecision.Unallocated(phoneNumber);
        // A number is reached only through its own trunk when the dialplan names one: another trunk (another provider,
        // another workspace's) must not lead a caller to this number's agent.
        if (trunkOfCall is not null && !string.Equals(trunkOfCall, number.TrunkKey, StringComparison.Ordinal))
            return RouteDecision.Reject(number, "unallocated", CallFailure.TrunkMismatch);

        var agent = agents.Get(number.AgentKey);
        var trunk = trunks.Get(number.TrunkKey);
        if (!(await trunk).Active) return RouteDecision.Reject(number, "rejected", CallFailure.TrunkInactive);
        if (await agent is { } unavailable)
            return await FallBack(number, FallbackReasons.OfAgent(unavailable))
                   ?? RouteDecision.Reject(number, "normal_unspecified", CallFailure.AgentUnavailable);
        return RouteDecision.Continue(number);
    }

    /// <summary>
    /// The number's fallback for a call its agent cannot take, for <paramref name="reason"/>; null when it has none, or when
    /// its fallback agent cannot take calls either (the call is then refused as it would be without a fallback).
    /// </summary>
    private async ValueTask<RouteDecision?> FallBack(NumberRoute number, string reason)
    {
        if (number.Fallback is null) return null;
        if (number.FallbackAgentKey is { } agentKey && await agents.Get(agentKey) is not null) return null;
        return RouteDecision.FallBack(number, reason);
    }

    /// <summary>Drops one entry, and any lookup of it in flight, so the next call asks the grain.</summary>
    public void Forget(RoutingTableKind kind, string key)
    {
        switch (kind)
        {
            case RoutingTableKind.Number: numbers.Forget(key); break;
            case RoutingTableKind.Agent: agents.Forget(key); break;
            case RoutingTableKind.Trunk: trunks.Forget(key); break;
            case RoutingTableKind.Hook: hooks.Forget(key); break;
        }
    }

    /// <summary>Drops everything: the next call of every number asks the grains again.</summary>
    public void Clear()
    {
        numbers.Clear();
        agents.Clear();
        trunks.Clear();
        hooks.Clear();
    }

    /// <summary>
    /// One instance of each id, key and region string for all the numbers that use it. Only what the workspace created
    /// lands here (never what a caller dialed), so it grows with agents and trunks, not with calls.
    /// </summary>
    private string Share(string value) => sharedStrings.GetOrAdd(value, value);

    private readonly ConcurrentDictionary<string, string> sharedStrings = new(StringComparer.Ordinal);

    /// <summary>How many entries the table holds, for the memory benchmark and the tests.</summary>
    public int Count => numbers.Count + agents.Count + trunks.Count;

    private static bool IsScopedId(string scoped)
    {
        var slash = scoped.IndexOf('/');
        return slash > 0 && Ids.IsWellFormed(scoped[..slash]) && Ids.IsWellFormed(scoped[(slash + 1)..]);
    }
}
