using StackExchange.Redis;

namespace Convocore.Silo.Numbers;

/// <summary>Where a number is listed: under its workspace, its trunk, its agent and the agent it falls back to, if any.</summary>
internal readonly record struct IndexEntry(string WorkspaceId, string TrunkId, string AgentId, string? FallbackAgentId = null);

/// <summary>
/// The lists of numbers per workspace, trunk and agent, kept as Redis sets beside grain state so that adding
/// one number writes one member, never a blob that grows with the trunk. A trunk is a sorted set with equal
/// scores, which Redis orders by value: paging walks it by E.164 string with ZRANGEBYLEX.
/// The phone number grains are the truth; these are derived from them and repaired by reconciliation.
/// </summary>
internal sealed class NumberIndex([FromKeyedServices("redis")] IConnectionMultiplexer redis, IConfiguration configuration)
{
    private readonly string prefix = configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:";

    private IDatabase Db => redis.GetDatabase();

    private RedisKey WorkspaceKey(string workspaceId) => $"{prefix}ws:{{{workspaceId}}}:numbers";
    private RedisKey TrunkKey(string workspaceId, string trunkId) => $"{prefix}ws:{{{workspaceId}}}:trunk:{trunkId}";
    private RedisKey AgentKey(string workspaceId, string agentId) => $"{prefix}ws:{{{workspaceId}}}:agent:{agentId}";
    private RedisKey FallbackKey(string workspaceId, string agentId) => $"{prefix}ws:{{{workspaceId}}}:fallback-agent:{agentId}";
    private RedisKey PendingKey => $"{prefix}pending-workspaces";

    /// <summary>Moves <paramref name="phoneNumber"/> from where <paramref name="from"/> lists it to <paramref name="to"/>, atomically.</summary>
    public async Task Move(string phoneNumber, IndexEntry? from, IndexEntry? to)
    {
        var transaction = Db.CreateTransaction();
        if (from is { } old && old != to)
        {
            if (to is null || to.Value.WorkspaceId != old.WorkspaceId) _ = transaction.SetRemoveAsync(WorkspaceKey(old.WorkspaceId), phoneNumber);
            if (to is null || to.Value.TrunkId != old.TrunkId) _ = transaction.SortedSetRemoveAsync(TrunkKey(old.WorkspaceId, old.TrunkId), phoneNumber);
            if (to is null || to.Value.AgentId != old.AgentId) _ = transaction.SetRemoveAsync(AgentKey(old.WorkspaceId, old.AgentId), phoneNumber);
            if (old.FallbackAgentId is { } fallback && (to is null || to.Value.FallbackAgentId != fallback || to.Value.WorkspaceId != old.WorkspaceId))
                _ = transaction.SetRemoveAsync(FallbackKey(old.WorkspaceId, fallback), phoneNumber);
        }
        if (to is { } entry)
        {
            _ = transaction.SetAddAsync(WorkspaceKey(entry.WorkspaceId), phoneNumber);
            _ = transaction.SortedSetAddAsync(TrunkKey(entry.WorkspaceId, entry.TrunkId), phoneNumber, 0);
            _ = transaction.SetAddAsync(AgentKey(entry.WorkspaceId, entry.AgentId), phoneNumber);
            if (entry.FallbackAgentId is { } fallback) _ = transaction.SetAddAsync(FallbackKey(entry.WorkspaceId, fallback), phoneNumber);
        }
        await transaction.ExecuteAsync();
    }

    public async Task<int> CountInWorkspace(string workspaceId) => (int)await Db.SetLengthAsync(WorkspaceKey(workspaceId));

    public async Task<int> CountInTrunk(string workspaceId, string trunkId) => (int)await Db.SortedSetLengthAsync(TrunkKey(workspaceId, trunkId));

    public async Task<int> CountForAgent(string workspaceId, string agentId) => (int)await Db.SetLengthAsync(AgentKey(workspaceId, agentId));

    /// <summary>How many numbers fall back to the agent.</summary>
    public async Task<int> CountFallingBackTo(string workspaceId, string agentId) => (int)await Db.SetLengthAsync(FallbackKey(workspaceId, agentId));

    public async Task<IReadOnlyList<string>> PageTrunk(string workspaceId, string trunkId, string? after, int limit)
    {
        var members = await Db.SortedSetRangeByValueAsync(TrunkKey(workspaceId, trunkId),
            after ?? default(RedisValue), default, after is null ? Exclude.None : Exclude.Start, Order.Ascending, 0, limit);
        return members.Select(m => m.ToString()).ToArray();
    }

    /// <summary>Remembers that a workspace has a number change in flight, so a sweeper finishes it after a crash.</summary>
    public Task MarkPending(string workspaceId) => Db.SetAddAsync(PendingKey, workspaceId);

    public Task ClearPending(string workspaceId) => Db.SetRemoveAsync(PendingKey, workspaceId);

    public async Task<IReadOnlyList<string>> PendingWorkspaces() => (await Db.SetMembersAsync(PendingKey)).Select(m => m.ToString()).ToArray();
}
