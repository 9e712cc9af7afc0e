using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Orleans.Concurrency;

namespace Convocore.Silo.Routing;

/// <summary>What to do with a call: continue it to its agent, or hang up with an Asterisk reason.</summary>
[GenerateSerializer, Immutable, Alias("convocore.route-decision")]
internal sealed record RouteDecision(
    [property: Id(0)] string? PhoneNumber,
    [property: Id(1)] NumberAssignment? Assignment,
    [property: Id(2)] string? HangupReason,
    [property: Id(3)] CallFailure? Failure)
{
    public static RouteDecision Continue(string phoneNumber, NumberAssignment assignment) => new(phoneNumber, assignment, null, null);

    public static RouteDecision Reject(string? phoneNumber, NumberAssignment? assignment, string hangupReason, CallFailure failure) =>
        new(phoneNumber, assignment, hangupReason, failure);
}

/// <summary>Why a call was not handed to an agent; recorded with the call.</summary>
internal enum CallFailure
{
    Unallocated,
    AgentUnavailable,
    TrunkInactive,
    Internal,
}

[Alias("convocore.call-router")]
internal interface ICallRouterGrain : IGrainWithIntegerKey
{
    /// <param name="dialed">The DID as the provider sent it.</param>
    /// <param name="trunkOfCall">"workspaceId/trunkId" of the trunk the call came in on, when the dialplan passes it:
    /// its default country turns national-format DIDs into E.164.</param>
    Task<RouteDecision> Route(string dialed, string? trunkOfCall);
}

/// <summary>
/// Decides where a call goes. A stateless worker, so the decision starts on the silo that holds the ARI
/// connection; the phone number, agent and trunk grains answer from memory once warm, so a configured number
/// costs no storage read, and a change to any of them is seen by the very next call.
/// </summary>
[StatelessWorker]
internal sealed class CallRouterGrain : Grain, ICallRouterGrain
{
    public async Task<RouteDecision> Route(string dialed, string? trunkOfCall)
    {
        var defaultCountry = trunkOfCall is not null && E164.IsNationalFormat(dialed) && IsScopedId(trunkOfCall)
            ? await GrainFactory.GetGrain<ITrunkGrain>(trunkOfCall).DefaultCountry()
            : null;
        if (E164.NormalizeDialed(dialed, defaultCountry) is not { } phoneNumber)
            return RouteDecision.Reject(null, null, "unallocated", CallFailure.Unallocated);
        if (await GrainFactory.GetGrain<IPhoneNumberGrain>(phoneNumber).GetAssignment() is not { } assignment)
            return RouteDecision.Reject(phoneNumber, null, "unallocated", CallFailure.Unallocated);

        var agent = GrainFactory.GetGrain<IAgentGrain>(Ids.Scoped(assignment.WorkspaceId, assignment.AgentId)).UnavailableReason();
        var trunk = GrainFactory.GetGrain<ITrunkGrain>(Ids.Scoped(assignment.WorkspaceId, assignment.TrunkId)).IsActive();
        if (!await trunk) return RouteDecision.Reject(phoneNumber, assignment, "rejected", CallFailure.TrunkInactive);
        if (await agent is not null) return RouteDecision.Reject(phoneNumber, assignment, "normal_unspecified", CallFailure.AgentUnavailable);
        return RouteDecision.Continue(phoneNumber, assignment);
    }

    private static bool IsScopedId(string scoped)
    {
        var slash = scoped.IndexOf('/');
        return slash > 0 && Ids.IsWellFormed(scoped[..slash]) && Ids.IsWellFormed(scoped[(slash + 1)..]);
    }
}
