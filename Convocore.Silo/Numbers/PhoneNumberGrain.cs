using Convocore.Contracts.Numbers;
using Convocore.Silo.Routing;

namespace Convocore.Silo.Numbers;

[GenerateSerializer, Alias("convocore.phone-number-state")]
internal sealed class PhoneNumberState
{
    [Id(0)] public NumberAssignment? Assignment { get; set; }
}

/// <summary>
/// The one place that decides whether a number is taken. Each change is one state write; nothing else is
/// acknowledged before it lands, so a crash leaves the number either held or free. A reassignment or release is
/// also forgotten by every silo's routing table before it is acknowledged, so the very next call sees it.
/// </summary>
internal sealed class PhoneNumberGrain(
    [PersistentState(PhoneNumberGrain.StateName)] IPersistentState<PhoneNumberState> state,
    RouteInvalidator routes,
    TimeProvider clock) : Grain, IPhoneNumberGrain
{
    public const string StateName = "number";

    public Task<NumberAssignment?> GetAssignment() => Task.FromResult(state.State.Assignment);

    public async Task<bool> Claim(NumberAssignment assignment)
    {
        if (state.State.Assignment is { } current) return current.OperationId == assignment.OperationId;
        await Store(assignment, forgetAfter: false);
        return true;
    }

    public async Task<NumberAssignment?> Reassign(string workspaceId, string trunkId, string agentId, string? additionalParamsJson, bool replaceParams, Guid operationId,
        NumberFallback? fallback = null, bool? routingHook = null)
    {
        if (state.State.Assignment is not { } current || current.WorkspaceId != workspaceId || current.TrunkId != trunkId) return null;
        if (current.OperationId == operationId) return current;
        var updated = current with
        {
            AgentId = agentId,
            AdditionalParamsJson = replaceParams ? additionalParamsJson : current.AdditionalParamsJson,
            Fallback = replaceParams ? fallback : current.Fallback,
            // Null (an import, which has no such column yet): the number keeps its own.
            RoutingHook = routingHook ?? current.RoutingHook,
            UpdatedAt = clock.GetUtcNow(),
            OperationId = operationId,
        };
        await Store(updated);
        return updated;
    }

    public async Task<bool> Release(string workspaceId, string trunkId, Guid operationId)
    {
        if (state.State.Assignment is not { } current || current.WorkspaceId != workspaceId || current.TrunkId != trunkId) return false;
        await Store(null);
        return true;
    }

    /// <param name="forgetAfter">False for a claim: no routing table holds a free number (they keep no misses).</param>
    private Task Store(NumberAssignment? assignment, bool forgetAfter = true)
    {
        var before = state.State.Assignment;
        return routes.Store(RoutingTableKind.Number, this.GetPrimaryKeyString(), async () =>
        {
            state.State.Assignment = assignment;
            if (assignment is null) await state.ClearStateAsync();
            else await state.WriteStateAsync();
            state.State.Assignment = assignment;
        }, undo: () =>
        {
            state.State.Assignment = before;
            // A write that timed out may still land in Redis: the next call reads what Redis holds, not this memory.
            DeactivateOnIdle();
        }, forgetAfter);
    }
}
