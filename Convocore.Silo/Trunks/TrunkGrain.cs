using Convocore.Contracts.Audit;
using Convocore.Silo.Audit;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Silo.Numbers;
using Convocore.Silo.Routing;
using Convocore.Silo.Workspaces;

namespace Convocore.Silo.Trunks;

[Alias("convocore.trunk-writer")]
internal interface ITrunkWriter : ITrunkGrain, IWorkspaceRecordWriter<TrunkDraft>;

internal sealed class TrunkGrain(
    [PersistentState("trunk")] IPersistentState<WorkspaceRecordState<TrunkDraft>> state,
    NumberIndex index,
    RouteInvalidator routes,
    AuditLog audit,
    ILogger<TrunkGrain> logger) : WorkspaceRecordGrain<TrunkDraft>(state, routes, RoutingTableKind.Trunk, audit, AuditTargets.Trunk, logger), ITrunkWriter
{
    public async Task<TrunkInfo?> Get()
    {
        if (Record is not { } trunk) return null;
        var (workspaceId, trunkId) = Key;
        return new TrunkInfo(trunkId, trunk.Name!, trunk.Region, trunk.Active, trunk.DefaultCountry, await index.CountInTrunk(workspaceId, trunkId));
    }

    public Task<TrunkRouting> Routing() => Task.FromResult(new TrunkRouting(Record is { Active: true }, Record?.DefaultCountry));

    public async Task<NumberPage?> ListNumbers(string? cursor, int limit)
    {
        if (Record is null) return null;
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
            items.Add(new NumberInfo(page[i], trunkId, a.AgentId, agentTitles.GetValueOrDefault(a.AgentId), a.Region, a.AdditionalParamsJson, a.CreatedAt, a.UpdatedAt, a.Fallback, a.RoutingHook));
        }
        return new NumberPage(items, numbers.Count > limit ? page[^1] : null);
    }
}
