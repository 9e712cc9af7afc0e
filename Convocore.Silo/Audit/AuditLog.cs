using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Convocore.Contracts.Audit;
using StackExchange.Redis;

namespace Convocore.Silo.Audit;

/// <summary>
/// Each workspace's audit log in Redis: a hash of entries by id and a sorted set of the ids (equal scores, so ordered by
/// id, which starts with the time), newest first by ZREVRANGEBYLEX. Writing an entry is idempotent (HSETNX on its id), so a
/// change settled twice, or an outbox flushed again, is logged once. Every write also removes entries past retention.
/// </summary>
internal sealed class AuditLog([FromKeyedServices("redis")] IConnectionMultiplexer redis, IConfiguration configuration, TimeProvider clock)
{
    public const string RetentionSetting = "Convocore:Audit:RetentionDays";
    /// <summary>Entries a read looks at, at most, to fill one filtered page; past that the page is shorter and has a cursor.</summary>
    private const int MaxExamined = 2_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    // KEYS: entries hash, ids sorted set. ARGV[1]: the retention cutoff id; then id, entry pairs.
    private const string WriteScript = """
        local added = 0
        for i = 2, #ARGV, 2 do
          if ARGV[i] >= ARGV[1] and redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
            redis.call('ZADD', KEYS[2], 0, ARGV[i])
            added = added + 1
          end
        end
        local old = redis.call('ZRANGEBYLEX', KEYS[2], '-', '(' .. ARGV[1], 'LIMIT', 0, 200)
        if #old > 0 then
          redis.call('ZREM', KEYS[2], unpack(old))
          redis.call('HDEL', KEYS[1], unpack(old))
        end
        return added
        """;

    private readonly string prefix = configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:";

    private TimeSpan Retention => TimeSpan.FromDays(configuration.GetValue(RetentionSetting, 400.0));

    private IDatabase Db => redis.GetDatabase();

    private RedisKey EntriesKey(string workspaceId) => $"{prefix}ws:{{{workspaceId}}}:audit:entries";
    private RedisKey IdsKey(string workspaceId) => $"{prefix}ws:{{{workspaceId}}}:audit";

    /// <summary>Grains whose state holds audit entries that may not be in the log yet (<see cref="AuditOutbox"/>).</summary>
    public RedisKey OutboxKey => prefix + "audit-outbox";

    public DateTimeOffset Now => clock.GetUtcNow();

    private string CutoffId => AuditRules.IdPrefix(Now - Retention);

    public Task Write(string workspaceId, AuditEntry entry) => Write(workspaceId, [entry]);

    public Task Write(string workspaceId, IReadOnlyCollection<AuditEntry> entries) => Write(Db, workspaceId, entries);

    /// <summary>A batch for writes that go with an entry, sent in one packet (Redis then syncs its append-only file once).</summary>
    public IBatch Batch() => Db.CreateBatch();

    public async Task Write(IDatabaseAsync db, string workspaceId, IReadOnlyCollection<AuditEntry> entries)
    {
        if (entries.Count == 0) return;
        var args = new RedisValue[1 + 2 * entries.Count];
        args[0] = CutoffId;
        var i = 1;
        foreach (var entry in entries)
        {
            args[i++] = entry.Id;
            args[i++] = JsonSerializer.Serialize(entry, Json);
        }
        await db.ScriptEvaluateAsync(WriteScript, [EntriesKey(workspaceId), IdsKey(workspaceId)], args);
    }

    /// <summary>Newest first; entries past retention are not shown even before a write has trimmed them.</summary>
    public async Task<AuditPage> Read(string workspaceId, AuditQuery query)
    {
        var limit = Math.Clamp(query.Limit, 1, AuditRules.MaxPageSize);
        var filtered = query.Target is not null || query.Actor is not null;
        var min = CutoffId;
        if (query.From is { } from && string.CompareOrdinal(AuditRules.IdPrefix(from), min) > 0) min = AuditRules.IdPrefix(from);
        var max = query.To is { } to ? AuditRules.IdPrefix(to) : null;
        if (query.Cursor is { } cursor && (max is null || string.CompareOrdinal(cursor, max) < 0)) max = cursor;

        var items = new List<AuditEntry>(limit);
        var examined = 0;
        string? last = null;
        while (true)
        {
            var batch = filtered ? 200 : limit + 1 - items.Count;
            var ids = await Db.SortedSetRangeByValueAsync(IdsKey(workspaceId), min, max is null ? default(RedisValue) : max,
                max is null ? Exclude.None : Exclude.Stop, Order.Descending, 0, batch);
            if (ids.Length == 0) return new AuditPage(items, null);
            var bodies = await Db.HashGetAsync(EntriesKey(workspaceId), ids);
            for (var i = 0; i < ids.Length; i++)
            {
                if (items.Count == limit) return new AuditPage(items, last);
                last = ids[i].ToString();
                examined++;
                if (bodies[i].IsNull || JsonSerializer.Deserialize<AuditEntry>(bodies[i].ToString(), Json) is not { } entry) continue;
                if (query.Target is { } target && entry.TargetId != target && entry.TargetType != target) continue;
                if (query.Actor is { } actor && entry.Actor != actor) continue;
                items.Add(entry);
            }
            if (ids.Length < batch) return new AuditPage(items, null);
            if (examined >= MaxExamined) return new AuditPage(items, last);
            max = last;
        }
    }

    public Task Mark(string member) => Db.SetAddAsync(OutboxKey, member);

    public Task Unmark(string member) => Db.SetRemoveAsync(OutboxKey, member);

    public async Task<IReadOnlyList<string>> Marked() => (await Db.SetMembersAsync(OutboxKey)).Select(m => m.ToString()).ToArray();

    /// <summary>
    /// An entry whose before and after hold only the fields that differ (all of them for a creation or a deletion).
    /// <paramref name="operationId"/> makes the id, so the same change always makes the same entry; else a new one.
    /// </summary>
    public static AuditEntry Entry(string action, string targetType, string targetId, JsonObject? before, JsonObject? after,
        AuditActor actor, DateTimeOffset at, Guid? operationId = null)
    {
        if (before is not null && after is not null)
        {
            foreach (var name in before.Select(p => p.Key).Union(after.Select(p => p.Key)).ToArray())
            {
                if (!JsonNode.DeepEquals(before[name], after[name])) continue;
                before.Remove(name);
                after.Remove(name);
            }
        }
        var id = AuditRules.IdPrefix(at) + "-" + (operationId ?? Guid.NewGuid()).ToString("N");
        return new AuditEntry(id, at, actor.Actor, actor.Source, action, targetType, targetId, before?.ToJsonString(), after?.ToJsonString());
    }

    /// <summary>Properties records compute from their fields (an agent's unavailableReason): not fields of their own.</summary>
    private static readonly string[] Derived = ["unavailableReason"];

    /// <summary>The fields of a record as the API names them (camelCase, enums as text).</summary>
    public static JsonObject? Fields<T>(T? value) where T : class
    {
        if (value is null || JsonSerializer.SerializeToNode(value, Json) is not JsonObject fields) return null;
        foreach (var name in Derived) fields.Remove(name);
        return fields;
    }
}
