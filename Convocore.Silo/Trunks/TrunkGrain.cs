using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Silo.Numbers;

namespace Convocore.Silo.Trunks;

[GenerateSerializer, Alias("convocore.trunk-state")]
internal sealed class TrunkState
{
    [Id(0)] public TrunkDraft? Trunk { get; set; }
}

/// <summary>Writes that only the trunk's workspace makes, one at a time.</summary>
[Alias("convocore.trunk-writer")]
internal interface ITrunkWriter : ITrunkGrain
{
    Task Save(TrunkDraft draft);
    Task Remove();
}

internal sealed class TrunkGrain(
    [PersistentState("trunk")] IPersistentState<TrunkState> state,
    NumberIndex index) : Grain, ITrunkWriter
{
    private (string WorkspaceId, string Id) Key => Ids.Unscope(this.GetPrimaryKeyString());

    public async Task<TrunkInfo?> Get()
    {
        if (state.State.Trunk is not { } trunk) return null;
        var (workspaceId, trunkId) = Key;
        return new TrunkInfo(trunkId, trunk.Name!, trunk.Region, trunk.Active, trunk.DefaultCountry, await index.CountInTrunk(workspaceId, trunkId));
    }

    public async Task<NumberPage?> ListNumbers(string? cursor, int limit)
    {
        if (state.State.Trunk is null) return null;
        var (workspaceId, trunkId) = Key;
        var numbers = await index.PageTrunk(workspaceId, trunkId, cursor, limit + 1);
        var page = numbers.Take(limit).ToArray();
        var assignments = await Task.WhenAll(page.Select(n => GrainFactory.GetGrain<IPhoneNumberGrain>(n).GetAssignment()));
        var agentTitles = new Dictionary<string, string?>();
        foreach (var agentId in assignments.Where(a => a is not null).Select(a => a!.AgentId).Distinct())
        {
            var agent = await GrainFactory.GetGrain<IAgentGrain>(Ids.Scoped(workspaceId, agentId)).Get();
            agentTitles[agentId] = agent?.Title;
        }
        var items = new List<NumberInfo>(page.Length);
        for (var i = 0; i < page.Length; i++)
        {
            // The index may briefly list a number whose change a crash interrupted; the number grain is the truth.
            if (assignments[i] is not { } a || a.WorkspaceId != workspaceId || a.TrunkId != trunkId) continue;
            items.Add(new NumberInfo(page[i], trunkId, a.AgentId, agentTitles.GetValueOrDefault(a.AgentId), a.Region, a.AdditionalParamsJson, a.CreatedAt, a.UpdatedAt));
        }
        return new NumberPage(items, numbers.Count > limit ? page[^1] : null);
    }

    public async Task Save(TrunkDraft draft)
    {
        state.State.Trunk = draft with { Name = draft.Name!.Trim() };
        await state.WriteStateAsync();
    }

    public async Task Remove()
    {
        await state.ClearStateAsync();
        state.State.Trunk = null;
    }
}
