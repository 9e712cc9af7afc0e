using System.Globalization;
using Convocore.Contracts.Webhooks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Convocore.Silo.Webhooks;

/// <summary>An event on its way to one webhook: its signed body is fixed when it is queued.</summary>
/// <param name="OrderKey">Events with the same key (one call, one number) go to the receiver one after the other, in order.</param>
/// <param name="Rank">Place in its call's life (started 0, routed 1, failed or ended 2): an event ranked at or below one
/// already queued for the call is not queued, so a late copy never lands after a later event. -1 for none.</param>
internal sealed record QueuedEvent(string Id, string Type, string OrderKey, int Rank, DateTimeOffset CreatedAt, string Body);

/// <summary>A delivery a sender took: its lease runs until it reports back.</summary>
internal sealed record ClaimedDelivery(string WorkspaceId, string WebhookId, string EventId, string Member);

/// <summary>What a sender needs of a claimed delivery.</summary>
internal sealed record StoredDelivery(string EventId, string Type, string OrderKey, DateTimeOffset CreatedAt, string Body, string State, int Attempts);

/// <summary>
/// The durable delivery queue in Redis. Per webhook (<c>convocore:webhooks:{id}:</c>…): a hash per delivery
/// (<c>d:&lt;event&gt;</c>), the delivery log (<c>log</c>, a sorted set by the event's time), a list per call or number
/// (<c>c:&lt;key&gt;</c>) of the events still to send in order, the last rank queued per call (<c>m:&lt;key&gt;</c>), and
/// the head of every list by when it is due (<c>due</c>); one sorted set for the whole cluster, <c>convocore:webhooks:due</c>,
/// holds each webhook by its earliest due time, so a sender takes a few of each due webhook and skips those it already
/// sends to as much as it may (a slow receiver's backlog never stands in front of another's). A sender that takes a
/// delivery pushes its due time past its lease, so a delivery whose silo died is taken again. Every step
/// is one Lua script, so a list's order holds whatever silo runs it. Keys are built inside the scripts: one Redis, not a
/// Redis Cluster, as everywhere in this repo.
/// </summary>
internal sealed class DeliveryStore([FromKeyedServices("redis")] IConnectionMultiplexer redis, IConfiguration configuration,
    IOptions<WebhookOptions> options, TimeProvider clock)
{
    private readonly string prefix = (configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:") + "webhooks:";

    private const string EnqueueScript = """
        local function refresh(g, due, wm)
          local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
          if first[1] then redis.call('ZADD', g, first[2], wm) else redis.call('ZREM', g, wm) end
        end
        local p, mp, now, cutoff = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
        local due = p .. 'due'
        local added = 0
        for i = 5, #ARGV, 6 do
          local id, key, rank, kind, created, body = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
          local d = p .. 'd:' .. id
          local skip = redis.call('EXISTS', d) == 1
          if not skip and rank >= 0 then
            local mark = p .. 'm:' .. key
            if rank <= tonumber(redis.call('GET', mark) or '-1') then skip = true
            else redis.call('SET', mark, rank, 'EX', 172800) end
          end
          if not skip then
            redis.call('HSET', d, 'type', kind, 'key', key, 'created', created, 'body', body, 'attempts', 0, 'state', 'pending', 'next', now)
            redis.call('ZADD', KEYS[2], created, id)
            if redis.call('RPUSH', p .. 'c:' .. key, id) == 1 then redis.call('ZADD', due, now, mp .. id) end
            added = added + 1
          end
        end
        if added > 0 then refresh(KEYS[1], due, string.sub(mp, 1, -2)) end
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff, 'LIMIT', 0, 10)) do
          local d = p .. 'd:' .. id
          if redis.call('HGET', d, 'state') ~= 'pending' then
            redis.call('DEL', d)
            redis.call('ZREM', KEYS[2], id)
          end
        end
        return added
        """;

    // KEYS: the due webhooks. ARGV: now, lease end, per webhook, key prefix, then the webhooks ("ws|wh") to leave alone.
    private const string ClaimScript = """
        local function refresh(g, due, wm)
          local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
          if first[1] then redis.call('ZADD', g, first[2], wm) else redis.call('ZREM', g, wm) end
        end
        local g, now, lease, per, prefix = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
        local skip = {}
        for i = 5, #ARGV do skip[ARGV[i]] = true end
        local out = {}
        for _, wm in ipairs(redis.call('ZRANGEBYSCORE', g, '-inf', now, 'LIMIT', 0, 64)) do
          if not skip[wm] then
            local due = prefix .. '{' .. string.match(wm, '|(.*)$') .. '}:due'
            for _, m in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, per)) do
              redis.call('ZADD', due, lease, m)
              out[#out + 1] = m
            end
            refresh(g, due, wm)
          end
        end
        return out
        """;

    // ARGV: p, member prefix, event id, order key, outcome (retry | done | skip | drop), attempts, status, error, state, next, delivered, now
    private const string ReportScript = """
        local function refresh(g, due, wm)
          local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
          if first[1] then redis.call('ZADD', g, first[2], wm) else redis.call('ZREM', g, wm) end
        end
        local p, mp, id, key, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
        local d, due, wm = p .. 'd:' .. id, p .. 'due', string.sub(mp, 1, -2)
        if outcome == 'retry' or outcome == 'defer' then
          if outcome == 'retry' then redis.call('HSET', d, 'attempts', ARGV[6], 'status', ARGV[7], 'error', ARGV[8], 'next', ARGV[10]) end
          redis.call('ZADD', due, ARGV[10], mp .. id)
          refresh(KEYS[1], due, wm)
          return 0
        end
        if outcome == 'drop' then redis.call('DEL', d)
        elseif outcome == 'done' and redis.call('EXISTS', d) == 1 then
          redis.call('HSET', d, 'attempts', ARGV[6], 'status', ARGV[7], 'error', ARGV[8], 'state', ARGV[9], 'next', '', 'delivered', ARGV[11])
        end
        redis.call('ZREM', due, mp .. id)
        local c = p .. 'c:' .. key
        local following = false
        if redis.call('LINDEX', c, 0) == id then
          redis.call('LPOP', c)
          following = redis.call('LINDEX', c, 0)
          if following then redis.call('ZADD', due, ARGV[12], mp .. following) end
        end
        refresh(KEYS[1], due, wm)
        if following then return 1 end
        return 0
        """;

    private const string RedeliverScript = """
        local function refresh(g, due, wm)
          local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
          if first[1] then redis.call('ZADD', g, first[2], wm) else redis.call('ZREM', g, wm) end
        end
        local p, mp, id, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local d = p .. 'd:' .. id
        if redis.call('EXISTS', d) == 0 then return 0 end
        if redis.call('HGET', d, 'state') == 'pending' then return 1 end
        redis.call('HSET', d, 'state', 'pending', 'next', now, 'delivered', '')
        if redis.call('RPUSH', p .. 'c:' .. redis.call('HGET', d, 'key'), id) == 1 then
          redis.call('ZADD', p .. 'due', now, mp .. id)
          refresh(KEYS[1], p .. 'due', string.sub(mp, 1, -2))
        end
        return 1
        """;

    private IDatabase Db => redis.GetDatabase();
    /// <summary>Every webhook with something queued, by when its next delivery is due.</summary>
    private RedisKey Due => prefix + "due";
    private string Of(string webhookId) => prefix + "{" + webhookId + "}:";
    private RedisKey Log(string webhookId) => Of(webhookId) + "log";
    private RedisKey Delivery(string webhookId, string eventId) => Of(webhookId) + "d:" + eventId;
    private static string MemberPrefix(string workspaceId, string webhookId) => workspaceId + "|" + webhookId + "|";

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Queues events for one webhook, in the order given; events already queued are left as they are.</summary>
    public Task<RedisResult> Enqueue(IDatabaseAsync db, string workspaceId, string webhookId, IEnumerable<QueuedEvent> events)
    {
        var now = Now;
        var args = new List<RedisValue>
        {
            Of(webhookId), MemberPrefix(workspaceId, webhookId), now, now - (long)options.Value.LogRetention.TotalMilliseconds,
        };
        foreach (var e in events)
            args.AddRange([e.Id, e.OrderKey, e.Rank, e.Type, e.CreatedAt.ToUnixTimeMilliseconds(), e.Body]);
        return db.ScriptEvaluateAsync(EnqueueScript, [Due, Log(webhookId)], args.ToArray());
    }

    /// <summary>
    /// Takes due deliveries, up to <paramref name="perWebhook"/> of each webhook but those in <paramref name="busy"/>
    /// (workspace|webhook), leased for <see cref="WebhookOptions.Lease"/>.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> Claim(int perWebhook, IReadOnlyCollection<string> busy)
    {
        var now = Now;
        var args = new List<RedisValue> { now, now + (long)options.Value.Lease.TotalMilliseconds, perWebhook, prefix };
        args.AddRange(busy.Select(b => (RedisValue)b));
        var items = (RedisValue[]?)await Db.ScriptEvaluateAsync(ClaimScript, [Due], args.ToArray()) ?? [];
        var claimed = new List<ClaimedDelivery>(items.Length);
        foreach (var item in items)
        {
            var parts = item.ToString().Split('|');
            if (parts.Length == 3) claimed.Add(new ClaimedDelivery(parts[0], parts[1], parts[2], item.ToString()));
        }
        return claimed;
    }

    public async Task<StoredDelivery?> Read(string webhookId, string eventId)
    {
        var fields = (await Db.HashGetAllAsync(Delivery(webhookId, eventId))).ToDictionary(f => f.Name.ToString(), f => f.Value);
        if (!fields.TryGetValue("body", out var body) || !fields.TryGetValue("key", out var key)) return null;
        return new StoredDelivery(eventId, fields["type"]!, key!, Time(fields["created"])!.Value, body!, fields["state"]!, (int)fields["attempts"]);
    }

    /// <summary>Not attempted now (its webhook has as many requests in flight as it may): due again after <paramref name="pause"/>.</summary>
    public Task Defer(ClaimedDelivery claim, TimeSpan pause) =>
        Db.ScriptEvaluateAsync(ReportScript, [Due], Report(claim, "", "defer", 0, null, null, "", Now + (long)pause.TotalMilliseconds, null));

    /// <summary>Another attempt at <paramref name="next"/>.</summary>
    public Task Retry(ClaimedDelivery claim, StoredDelivery delivery, int attempts, int? status, string? error, DateTimeOffset next) =>
        Db.ScriptEvaluateAsync(ReportScript, [Due], Report(claim, delivery.OrderKey, "retry", attempts, status, error, "pending",
            next.ToUnixTimeMilliseconds(), null));

    /// <summary>Delivered or given up: the call's next event is due at once. True when there is one.</summary>
    public async Task<bool> Finish(ClaimedDelivery claim, StoredDelivery delivery, int attempts, int? status, string? error, bool delivered) =>
        (int)await Db.ScriptEvaluateAsync(ReportScript, [Due], Report(claim, delivery.OrderKey, "done", attempts, status, error,
            delivered ? "delivered" : "failed", null, delivered ? Now : null)) == 1;

    /// <summary>A delivery no longer pending (redelivered meanwhile, say) came up again: the next one of its list comes up.</summary>
    public async Task<bool> Skip(ClaimedDelivery claim, StoredDelivery delivery) =>
        (int)await Db.ScriptEvaluateAsync(ReportScript, [Due], Report(claim, delivery.OrderKey, "skip", 0, null, null, "", null, null)) == 1;

    /// <summary>A delivery of a webhook that is gone: forgotten, and the next one of its list comes up (to be dropped too).</summary>
    public async Task<bool> Drop(ClaimedDelivery claim, string? orderKey) =>
        (int)await Db.ScriptEvaluateAsync(ReportScript, [Due], Report(claim, orderKey ?? "", "drop", 0, null, null, "", null, null)) == 1;

    private RedisValue[] Report(ClaimedDelivery claim, string orderKey, string outcome, int attempts, int? status, string? error, string state,
        long? next, long? delivered) =>
    [
        Of(claim.WebhookId), MemberPrefix(claim.WorkspaceId, claim.WebhookId), claim.EventId, orderKey, outcome, attempts,
        status?.ToString(CultureInfo.InvariantCulture) ?? "", error ?? "", state, next ?? 0, delivered?.ToString(CultureInfo.InvariantCulture) ?? "", Now,
    ];

    /// <summary>False when the webhook has no such delivery (any more).</summary>
    public async Task<bool> Redeliver(string workspaceId, string webhookId, string eventId) =>
        (int)await Db.ScriptEvaluateAsync(RedeliverScript, [Due], [Of(webhookId), MemberPrefix(workspaceId, webhookId), eventId, Now]) == 1;

    /// <summary>The newest deliveries first.</summary>
    public async Task<IReadOnlyList<DeliveryInfo>> Latest(string webhookId, int limit)
    {
        var ids = await Db.SortedSetRangeByRankAsync(Log(webhookId), 0, limit - 1, Order.Descending);
        var reads = ids.Select(id => Describe(webhookId, id.ToString())).ToArray();
        return (await Task.WhenAll(reads)).OfType<DeliveryInfo>().ToArray();
    }

    public async Task<DeliveryInfo?> Describe(string webhookId, string eventId)
    {
        var fields = (await Db.HashGetAllAsync(Delivery(webhookId, eventId))).ToDictionary(f => f.Name.ToString(), f => f.Value);
        if (!fields.TryGetValue("type", out var type)) return null;
        var state = fields["state"].ToString();
        return new DeliveryInfo(eventId, type!, Time(fields["created"])!.Value, state, (int)fields["attempts"],
            fields.TryGetValue("status", out var s) && s.TryParse(out int status) ? status : null,
            fields.TryGetValue("error", out var e) && !e.IsNullOrEmpty ? e.ToString() : null,
            state == "pending" ? Time(fields.GetValueOrDefault("next")) : null,
            Time(fields.GetValueOrDefault("delivered")));
    }

    /// <summary>Forgets a removed webhook's log and finished deliveries; pending ones are dropped by the senders as they come up.</summary>
    public async Task Forget(string webhookId)
    {
        var ids = await Db.SortedSetRangeByRankAsync(Log(webhookId));
        foreach (var chunk in ids.Chunk(500))
        {
            var states = await Task.WhenAll(chunk.Select(id => Db.HashGetAsync(Delivery(webhookId, id.ToString()), "state")));
            var finished = chunk.Where((_, i) => states[i] != "pending").Select(id => (RedisKey)Delivery(webhookId, id.ToString())).ToArray();
            if (finished.Length > 0) await Db.KeyDeleteAsync(finished);
        }
        await Db.KeyDeleteAsync(Log(webhookId));
    }

    private static DateTimeOffset? Time(RedisValue value) =>
        value.TryParse(out long ms) && ms > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
