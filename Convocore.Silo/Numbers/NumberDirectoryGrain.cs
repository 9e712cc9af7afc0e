using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Workspaces;
using Orleans.Concurrency;

namespace Convocore.Silo.Numbers;

/// <summary>
/// Walks the workspace's trunk lists together in E.164 order (each is a sorted set, so a page of all of them is the
/// first entries of each, merged) and describes each number from its stored state. The cursor is the last number of
/// the page before, so numbers added or removed while a client pages neither repeat nor shift the others.
/// A filtered page reads on until it is full, up to the whole workspace when few numbers match.
/// </summary>
[StatelessWorker]
internal sealed class NumberDirectoryGrain(NumberIndex index, StoredNumbers stored) : Grain, INumberDirectoryGrain
{
    private const int FilteredBatch = 500;
    private const int ExportBatch = 1000;

    public async Task<Outcome<NumberPage>> List(string workspaceId, NumberQuery query)
    {
        var workspace = GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);
        var trunkIds = (await workspace.ListTrunks()).Select(t => t.Id).ToArray();
        if (query.TrunkId is { } trunkId)
        {
            if (!trunkIds.Contains(trunkId)) return Failure.NotFound(NumberRules.TrunkNotFound);
            trunkIds = [trunkId];
        }
        var agents = await workspace.ListAgents();
        if (query.AgentId is { } agentId && agents.All(a => a.Id != agentId)) return Failure.NotFound(NumberRules.AgentNotFound);

        var filtered = query.AgentId is not null || !string.IsNullOrEmpty(query.Search);
        var matches = Matcher(query, agents);
        var items = await Walk(workspaceId, trunkIds, agents, query.Cursor, query.Limit + 1, filtered ? FilteredBatch : query.Limit + 1, matches);
        return items.Count > query.Limit
            ? new NumberPage(items.Take(query.Limit).ToArray(), items[query.Limit - 1].PhoneNumber)
            : new NumberPage(items, null);
    }

    public async Task<IReadOnlyList<NumberInfo>> Export(string workspaceId)
    {
        var workspace = GrainFactory.GetGrain<IWorkspaceGrain>(workspaceId);
        var trunkIds = (await workspace.ListTrunks()).Select(t => t.Id).ToArray();
        return await Walk(workspaceId, trunkIds, await workspace.ListAgents(), null, int.MaxValue, ExportBatch, _ => true);
    }

    private async Task<List<NumberInfo>> Walk(string workspaceId, string[] trunkIds, IReadOnlyList<AgentInfo> agents, string? cursor,
        int wanted, int batch, Func<NumberInfo, bool> matches)
    {
        var titles = agents.ToDictionary(a => a.Id, a => a.Title);
        var items = new List<NumberInfo>();
        while (items.Count < wanted)
        {
            var pages = await Task.WhenAll(trunkIds.Select(t => index.PageTrunk(workspaceId, t, cursor, batch)));
            var merged = pages.SelectMany((page, i) => page.Select(n => (Number: n, TrunkId: trunkIds[i])))
                .OrderBy(e => e.Number, StringComparer.Ordinal).ToArray();
            var taken = merged.Take(batch).ToArray();
            if (taken.Length == 0) break;
            var assignments = await Task.WhenAll(taken.Select(e => stored.Assignment(e.Number)));
            for (var i = 0; i < taken.Length && items.Count < wanted; i++)
            {
                // The lists may briefly name a number whose change a crash interrupted; its stored state is the truth.
                if (assignments[i] is not { } a || a.WorkspaceId != workspaceId || a.TrunkId != taken[i].TrunkId) continue;
                var number = new NumberInfo(taken[i].Number, a.TrunkId, a.AgentId, titles.GetValueOrDefault(a.AgentId), a.Region,
                    a.AdditionalParamsJson, a.CreatedAt, a.UpdatedAt, a.Fallback, a.RoutingHook);
                if (matches(number)) items.Add(number);
            }
            var exhausted = merged.Length <= batch && pages.All(p => p.Count < batch);
            if (exhausted) break;
            cursor = taken[^1].Number;
        }
        return items;
    }

    private static Func<NumberInfo, bool> Matcher(NumberQuery query, IReadOnlyList<AgentInfo> agents)
    {
        var search = query.Search?.Trim();
        var digits = search is null ? "" : new string(search.Where(char.IsAsciiDigit).ToArray());
        var titled = string.IsNullOrEmpty(search)
            ? []
            : agents.Where(a => a.Title.Contains(search, StringComparison.OrdinalIgnoreCase)).Select(a => a.Id).ToHashSet();
        return n => (query.AgentId is null || n.AgentId == query.AgentId)
                    && (string.IsNullOrEmpty(search)
                        || digits.Length > 0 && n.PhoneNumber.Contains(digits, StringComparison.Ordinal)
                        || titled.Contains(n.AgentId));
    }
}
