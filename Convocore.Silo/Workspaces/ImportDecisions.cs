using System.Text.Json.Nodes;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;

namespace Convocore.Silo.Workspaces;

/// <summary>What one import row comes to: its report line, and for an add or update what to write.</summary>
/// <param name="Region">For an add: the row's, or its trunk's.</param>
internal sealed record ImportDecision(ImportRowResult Result, string? TrunkId, string? AgentId, Region? Region, string? AdditionalParamsJson, NumberAssignment? Current,
    NumberFallback? Fallback = null)
{
    public ImportRowStatus Status => Result.Status;
}

/// <summary>
/// Decides import rows with the same rules and texts as the single-number API (E.164, agent and trunk, additionalParams,
/// the plan, numbers taken elsewhere), from the workspace's agents and trunks and each number's grain. An agent or trunk is
/// named by id or by its exact title or name.
/// </summary>
internal sealed class ImportDecisions(
    string workspaceId,
    IReadOnlyList<AgentInfo> agents,
    IReadOnlyList<TrunkInfo> trunks,
    Func<int, Failure?> quotaAfter,
    IGrainFactory grains)
{
    /// <param name="addsBefore">Adds that earlier rows of the file make, counted against the plan.</param>
    public async Task<ImportDecision[]> Decide(IReadOnlyList<ImportRow> rows, int addsBefore)
    {
        var current = await Task.WhenAll(rows.Select(r => r.Refusal is null && E164.IsValid(r.PhoneNumber)
            ? grains.GetGrain<IPhoneNumberGrain>(r.PhoneNumber!).GetAssignment()
            : Task.FromResult<NumberAssignment?>(null)));
        var decisions = new ImportDecision[rows.Count];
        var adds = addsBefore;
        for (var i = 0; i < rows.Count; i++)
        {
            decisions[i] = Decide(rows[i], current[i], adds);
            if (decisions[i].Status == ImportRowStatus.Add) adds++;
        }
        return decisions;
    }

    private ImportDecision Decide(ImportRow row, NumberAssignment? current, int addsBefore)
    {
        ImportDecision Error(string message, string? hint = null) =>
            new(new ImportRowResult(row.Row, row.PhoneNumber, ImportRowStatus.Error, message, hint), null, null, null, null, null);

        if (row.Refusal is { } refusal) return Error(refusal);
        if (E164.Validate(row.PhoneNumber) is { } invalidNumber) return Error(invalidNumber.Detail, invalidNumber.Hint);
        if (string.IsNullOrEmpty(row.Agent)) return Error(NumberRules.AgentRequired);
        if (string.IsNullOrEmpty(row.Trunk)) return Error(ImportTexts.TrunkRequired);
        var trunk = Find(trunks, row.Trunk, t => t.Id, t => t.Name);
        if (trunk.Count == 0) return Error(NumberRules.TrunkNotFound);
        if (trunk.Count > 1) return Error(ImportTexts.AmbiguousTrunk(row.Trunk));
        var agent = Find(agents, row.Agent, a => a.Id, a => a.Title);
        if (agent.Count == 0) return Error(NumberRules.AgentNotFound);
        if (agent.Count > 1) return Error(ImportTexts.AmbiguousAgent(row.Agent));
        if (agent[0].UnavailableReason is { } unavailable) return Error(unavailable);
        Region? region = null;
        if (!string.IsNullOrEmpty(row.Region))
        {
            if (!Regions.TryParse(row.Region, out var parsed)) return Error(ImportTexts.InvalidRegion);
            region = parsed;
        }
        if (NumberRules.ValidateAdditionalParams(row.AdditionalParamsJson) is { } invalidParams) return Error(invalidParams.Detail);
        NumberFallback? fallback = null;
        if (!string.IsNullOrEmpty(row.Fallback))
        {
            var colon = row.Fallback.IndexOf(':');
            var (type, target) = colon < 0 ? ("", "") : (row.Fallback[..colon], row.Fallback[(colon + 1)..]);
            switch (type)
            {
                case "agent":
                    var fallbackAgent = Find(agents, target, a => a.Id, a => a.Title);
                    if (fallbackAgent.Count == 0) return Error(NumberRules.AgentNotFound);
                    if (fallbackAgent.Count > 1) return Error(ImportTexts.AmbiguousAgent(target));
                    fallback = new NumberFallback(FallbackKind.Agent, fallbackAgent[0].Id);
                    break;
                case "number":
                    fallback = new NumberFallback(FallbackKind.Number, target);
                    break;
                case "sip":
                    fallback = new NumberFallback(FallbackKind.Sip, row.Fallback);
                    break;
                default:
                    return Error(ImportTexts.InvalidFallback);
            }
            if (FallbackRules.Validate(fallback) is { } invalidFallback) return Error(invalidFallback.Detail, invalidFallback.Hint);
        }

        ImportDecision Decided(ImportRowStatus status) => new(new ImportRowResult(row.Row, row.PhoneNumber, status, null),
            trunk[0].Id, agent[0].Id, region ?? trunk[0].Region, row.AdditionalParamsJson, current, fallback);

        if (current is null)
            return quotaAfter(addsBefore) is { } quota ? Error(quota.Detail) : Decided(ImportRowStatus.Add);
        // Exactly what adding it alone would answer: nothing more about whose it is.
        if (current.WorkspaceId != workspaceId) return Error(NumberRules.AlreadyExists);
        if (current.TrunkId != trunk[0].Id)
            return Error(ImportTexts.OnAnotherTrunk(trunks.FirstOrDefault(t => t.Id == current.TrunkId)?.Name ?? current.TrunkId));
        if (region is { } asked && asked != current.Region) return Error(ImportTexts.OtherRegion(current.Region.ToString()));
        var same = current.AgentId == agent[0].Id && SameParams(current.AdditionalParamsJson, row.AdditionalParamsJson) && current.Fallback == fallback;
        return Decided(same ? ImportRowStatus.Unchanged : ImportRowStatus.Update);
    }

    /// <summary>By id first; otherwise every one whose title or name is exactly the text.</summary>
    private static List<T> Find<T>(IReadOnlyList<T> items, string text, Func<T, string> id, Func<T, string> name)
    {
        var byId = items.Where(i => id(i) == text).ToList();
        return byId.Count > 0 ? byId : items.Where(i => name(i) == text).ToList();
    }

    /// <summary>The same JSON object, whatever the order of its members or its spacing.</summary>
    private static bool SameParams(string? stored, string? imported) =>
        stored is null || imported is null ? stored == imported : JsonNode.DeepEquals(JsonNode.Parse(stored), JsonNode.Parse(imported));
}
