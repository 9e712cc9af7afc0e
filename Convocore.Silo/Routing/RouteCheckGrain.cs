using Convocore.Contracts.Webhooks;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Routing;
using Convocore.Contracts.Trunks;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace Convocore.Silo.Routing;

/// <summary>
/// The route check: asks this silo's <see cref="RoutingTable"/> exactly what a call would (the DID as dialled, and
/// "workspaceId/trunkId" as the dialplan passes it), then describes the decision. Another workspace's number reads as
/// one nobody owns.
/// </summary>
[StatelessWorker]
internal sealed class RouteCheckGrain(RoutingTable table, IOptions<AsteriskOptions> asterisk) : Grain, IRouteCheckGrain
{
    public async Task<RouteCheck?> Check(string workspaceId, string dialed, string? trunkId)
    {
        TrunkInfo? namedTrunk = null;
        string? trunkKey = null;
        if (trunkId is not null)
        {
            trunkKey = Ids.Scoped(workspaceId, trunkId);
            if ((namedTrunk = await GrainFactory.GetGrain<ITrunkGrain>(trunkKey).Get()) is null) return null;
        }

        var decision = await table.Route(dialed, trunkKey);
        // Only the workspace's own numbers are described: any other reads as unallocated, as a number nobody owns does.
        var own = decision.Number is { } number && number.WorkspaceId == workspaceId ? number : null;
        var problems = new List<RouteCheckProblem>();
        RouteCheckTrunk? trunk = null;
        RouteCheckAgent? agent = null;
        RouteCheckFallback? fallback = null;
        RouteCheckHook? hook = null;
        string? region = namedTrunk?.Region.ToString();

        if (decision.PhoneNumber is null)
        {
            problems.Add(new(RouteCheckCodes.NotE164, namedTrunk is null
                ? "The number as dialled is not in E.164 (+, country code, number). A national number is read with the default country of the SIP provider it comes in on: name the SIP provider (trunkId) to check with it."
                : namedTrunk.DefaultCountry is null
                    ? $"The number as dialled is not in E.164 (+, country code, number), and SIP provider {namedTrunk.Name} has no default country to read a national number with."
                    : $"The number as dialled is not in E.164 (+, country code, number), nor a possible national number of {namedTrunk.DefaultCountry}, the default country of SIP provider {namedTrunk.Name}."));
        }
        else if (own is null)
        {
            problems.Add(new(RouteCheckCodes.NotConfigured,
                $"{decision.PhoneNumber} is not configured in this workspace: calls to it are hung up as unallocated (add it to a SIP provider and assign an agent)."));
        }
        else
        {
            var trunkInfo = GrainFactory.GetGrain<ITrunkGrain>(own.TrunkKey).Get();
            var agentInfo = GrainFactory.GetGrain<IAgentGrain>(own.AgentKey).Get();
            var reason = await GrainFactory.GetGrain<IAgentGrain>(own.AgentKey).UnavailableReason();
            var ownTrunk = await trunkInfo;
            region = own.Region;
            trunk = new RouteCheckTrunk(own.TrunkId, ownTrunk?.Name ?? own.TrunkId, ownTrunk?.Active ?? false);
            agent = new RouteCheckAgent(own.AgentId, (await agentInfo)?.Title, reason is null, reason);

            if (decision.Failure == CallFailure.TrunkMismatch)
                problems.Add(new(RouteCheckCodes.TrunkMismatch,
                    $"{own.PhoneNumber} is configured on SIP provider {trunk.Name}, not on {namedTrunk!.Name}: calls that come in on {namedTrunk.Name} are hung up as unallocated."));
            if (!trunk.Active)
                problems.Add(new(RouteCheckCodes.TrunkInactive, $"SIP provider {trunk.Name} is turned off: calls to its numbers are rejected."));
            if (reason is not null)
                problems.Add(new(reason switch
                {
                    AgentDraft.NotVoiceEnabled => RouteCheckCodes.AgentNotVoiceEnabled,
                    NumberRules.AgentNotFound => RouteCheckCodes.AgentNotFound,
                    _ => RouteCheckCodes.AgentVoiceInvalid,
                }, reason));
            if (own.RoutingHook)
            {
                var target = await GrainFactory.GetGrain<IWebhooksGrain>(workspaceId).GetRoutingHook();
                hook = new RouteCheckHook(target?.Url);
                if (target is null)
                    problems.Add(new(RouteCheckCodes.RoutingHookMissing,
                        $"{own.PhoneNumber} is set to ask the routing hook, but the workspace has none: calls go to its own agent (set one in Settings)."));
            }
            if (own.Fallback is { } destination)
            {
                string? fallbackTitle = null;
                string? fallbackReason = null;
                if (own.FallbackAgentKey is { } fallbackKey)
                {
                    fallbackTitle = (await GrainFactory.GetGrain<IAgentGrain>(fallbackKey).Get())?.Title;
                    fallbackReason = await GrainFactory.GetGrain<IAgentGrain>(fallbackKey).UnavailableReason();
                }
                var used = decision.FallbackReason is not null;
                fallback = new RouteCheckFallback(destination, used, decision.FallbackReason, fallbackTitle,
                    own.FallbackAgentKey is null ? null : fallbackReason is null);
                if (!used && reason is not null && fallbackReason is not null && decision.Failure == CallFailure.AgentUnavailable)
                    problems.Add(new(RouteCheckCodes.FallbackAgentUnavailable,
                        $"The fallback agent {fallbackTitle ?? own.FallbackAgentId} cannot take calls either ({fallbackReason}): calls are refused."));
            }
        }

        var server = region is null ? null : await Server(region);
        if (region is not null && server is not { State: AsteriskConnectionState.Connected })
            problems.Add(new(RouteCheckCodes.NoAsterisk, server is null
                ? $"No Asterisk server is configured for region {region}: no call to this number can reach us."
                : $"No Asterisk server is connected for region {region} ({server.Name} is {server.State}): calls cannot reach us until it is."));

        var routed = own is not null && decision.HangupReason is null;
        return new RouteCheck(dialed, decision.PhoneNumber, own is not null, trunk, agent, region, server,
            !routed ? "rejected" : decision.FallbackReason is null ? "routed" : "fallback",
            routed ? null : own is null ? "unallocated" : decision.HangupReason, problems, fallback, hook);
    }

    /// <summary>The region's connected server, else its first one, as /health reports them; null when none is configured.</summary>
    private async Task<RouteCheckAsterisk?> Server(string region)
    {
        var servers = asterisk.Value.Servers;
        var indexes = Enumerable.Range(0, servers.Count).Where(i => servers[i].Region.ToString() == region).ToArray();
        if (indexes.Length == 0) return null;
        var states = await Task.WhenAll(indexes.Select(i => GrainFactory.GetGrain<IAsteriskConnectionGrain>(i).Ensure()));
        var chosen = states.FirstOrDefault(s => s.State == AsteriskConnectionState.Connected) ?? states[0];
        return new RouteCheckAsterisk(chosen.Server, chosen.State);
    }
}
