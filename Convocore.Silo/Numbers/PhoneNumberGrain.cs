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
    [PersistentState("number")] IPersistentState<PhoneNumberState> state,
    RouteInvalidator routes,
    TimeProvider clock) : Grain, IPhoneNumberGrain
{
    public Task<NumberAssignment?> GetAssignment() => Task.FromResult(state.State.Assignment);

    /// <summary>No routing table holds a free number (they keep no misses), so a claim has nothing to make them forget.</summary>
    public async Task<bool> Claim(NumberAssignment assignment)
    {
        if (state.State.Assignment is { } current) return current.OperationId == assignment.OperationId;
        await Store(assignment);
        return true;
    }

    public async Task<NumberAssignment?> Reassign(string workspaceId, string trunkId, string agentId, string? additionalParamsJson, bool replaceParams, Guid operationId)
    {
        if (state.State.Assignment is not { } current || current.WorkspaceId != workspaceId || current.TrunkId != trunkId) return null;
        if (current.OperationId == operationId) return current;
        var updated = current with
        {
            AgentId = agentId,
            AdditionalParamsJson = replaceParams ? additionalParamsJson : current.AdditionalParamsJson,
            UpdatedAt = clock.GetUtcNow(),
            OperationId = operationId,
        };
        await Store(updated);
        await ForgetRoute();
        return updated;
    }

    public async Task<bool> Release(string workspaceId, string trunkId, Guid operationId)
    {
        if (state.State.Assignment is not { } current || current.WorkspaceId != workspaceId || current.TrunkId != trunkId) return false;
        await Store(null);
        await ForgetRoute();
        return true;
    }

    /// <summary>
    /// Lookups interleave with a change (<see cref="IPhoneNumberGrain.GetAssignment"/>), so one may have read the new value
    /// while it was being stored: a write that fails puts the old value back and has every table forget what it read.
    /// </summary>
    private async Task Store(NumberAssignment? assignment)
    {
        var before = state.State.Assignment;
        state.State.Assignment = assignment;
        try
        {
            if (assignment is null) await state.ClearStateAsync();
            else await state.WriteStateAsync();
        }
        catch
        {
            state.State.Assignment = before;
            await ForgetRoute();
            throw;
        }
        state.State.Assignment = assignment;
    }

    private Task ForgetRoute() => routes.ForgetEverywhere(RoutingTableKind.Number, this.GetPrimaryKeyString());
}
