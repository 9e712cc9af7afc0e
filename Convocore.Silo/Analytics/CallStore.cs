using System.Globalization;
using System.Text.Json;
using Convocore.Contracts.Routing;
using StackExchange.Redis;

namespace Convocore.Silo.Analytics;

/// <summary>A call as the log keeps it: its sorted-set member (the paging cursor) and the record.</summary>
internal readonly record struct StoredCall(string Member, CallRecord Record);

/// <summary>
/// The call log and what analytics read, in Redis, one bucket per workspace plus one for calls to numbers that belong
/// to no workspace:
/// - <c>…ws:{id}:calls</c>: a sorted set with equal scores, so Redis orders it by member; a member is
///   "startedAt in Unix ms, 13 digits|server|channel id", which orders by start time, makes every time range a
///   ZRANGEBYLEX and every page cursor stable under inserts (a member never moves);
/// - <c>…ws:{id}:call-records</c>: member → the call record JSON; writing it with HSETNX is what makes applying a
///   record idempotent (a redelivered record finds its member there and changes nothing);
/// - <c>…ws:{id}:calls:number:{e164}</c> and <c>…ws:{id}:call-numbers</c>: the same members per number, and the
///   numbers that had calls, so a number's figures read only its own calls.
/// Channel ids are unique per Asterisk server only, hence the server in the member.
/// </summary>
internal sealed class CallStore([FromKeyedServices("redis")] IConnectionMultiplexer redis, IConfiguration configuration)
{
    private const string UnownedBucket = "~unowned";
    private const int Chunk = 1000;

    // KEYS: log, records, number log (the log again when there is no number), numbers; ARGV: member, json, number or ''.
    private const string ApplyScript = """
        if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
        redis.call('ZADD', KEYS[1], 0, ARGV[1])
        if ARGV[3] ~= '' then
          redis.call('ZADD', KEYS[3], 0, ARGV[1])
          redis.call('SADD', KEYS[4], ARGV[3])
        end
        return 1
        """;

    // KEYS: log, records, numbers; ARGV: '(' + cutoff, batch size, number log prefix. The number logs share the
    // bucket's hash tag, so they live in the same slot.
    private const string TrimScript = """
        local members = redis.call('ZRANGEBYLEX', KEYS[1], '-', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
        for _, m in ipairs(members) do
          local body = redis.call('HGET', KEYS[2], m)
          if body then
            local ok, call = pcall(cjson.decode, body)
            if ok and type(call.phoneNumber) == 'string' then
              local numberLog = ARGV[3] .. call.phoneNumber
              redis.call('ZREM', numberLog, m)
              if redis.call('ZCARD', numberLog) == 0 then redis.call('SREM', KEYS[3], call.phoneNumber) end
            end
          end
          redis.call('HDEL', KEYS[2], m)
          redis.call('ZREM', KEYS[1], m)
        end
        return #members
        """;

    private readonly string prefix = configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:";

    private IDatabase Db => redis.GetDatabase();

    /// <summary>The stream the call recorder appends to.</summary>
    public RedisKey Stream => prefix + "calls";

    private RedisKey Buckets => prefix + "analytics:buckets";

    private string Base(string? workspaceId) => workspaceId is null ? $"{prefix}{{unowned}}:" : $"{prefix}ws:{{{workspaceId}}}:";
    private static RedisKey Log(string bucket) => bucket + "calls";
    private static RedisKey Records(string bucket) => bucket + "call-records";
    private static string NumberLogPrefix(string bucket) => bucket + "calls:number:";
    private static RedisKey NumberLog(string bucket, string phoneNumber) => NumberLogPrefix(bucket) + phoneNumber;
    private static RedisKey Numbers(string bucket) => bucket + "call-numbers";

    public static string Member(CallRecord call) =>
        string.Create(CultureInfo.InvariantCulture, $"{call.StartedAt.ToUnixTimeMilliseconds():D13}|{call.Server}|{call.ChannelId}");

    private static string Bound(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString("D13", CultureInfo.InvariantCulture);

    /// <summary>True for a member this log could have given out, so a cursor from elsewhere is refused.</summary>
    public static bool IsMember(string value) =>
        value.Length > 14 && value[13] == '|' && value.AsSpan(0, 13).IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>Adds each call to its bucket unless it is there already; returns how many were new.</summary>
    public async Task<int> Apply(IReadOnlyList<(CallRecord Call, string Json)> calls)
    {
        var db = Db;
        var applied = new List<Task<RedisResult>>(calls.Count);
        var buckets = new HashSet<string>();
        foreach (var (call, json) in calls)
        {
            var bucket = Base(call.WorkspaceId);
            buckets.Add(call.WorkspaceId ?? UnownedBucket);
            var number = call.WorkspaceId is null ? null : call.PhoneNumber;
            applied.Add(db.ScriptEvaluateAsync(ApplyScript,
                [Log(bucket), Records(bucket), number is null ? Log(bucket) : NumberLog(bucket, number), Numbers(bucket)],
                [Member(call), json, number ?? ""]));
        }
        var registered = db.SetAddAsync(Buckets, buckets.Select(b => (RedisValue)b).ToArray());
        await Task.WhenAll(applied);
        await registered;
        return applied.Count(t => (int)t.Result == 1);
    }

    /// <summary>Removes every call that started before <paramref name="cutoff"/>; returns how many.</summary>
    public async Task<long> Trim(DateTimeOffset cutoff, int batch = Chunk)
    {
        var db = Db;
        long removed = 0;
        foreach (var id in await db.SetMembersAsync(Buckets))
        {
            var bucket = Base(id == UnownedBucket ? null : id.ToString());
            int count;
            do
            {
                count = (int)await db.ScriptEvaluateAsync(TrimScript, [Log(bucket), Records(bucket), Numbers(bucket)],
                    ["(" + Bound(cutoff), batch, NumberLogPrefix(bucket)]);
                removed += count;
            }
            while (count == batch);
        }
        // Stream ids are the append time in ms, which is after the start: whatever is older was applied long ago.
        await db.ExecuteAsync("XTRIM", Stream, "MINID", "~", cutoff.ToUnixTimeMilliseconds());
        return removed;
    }

    public async Task<bool> HadCalls(string workspaceId, string phoneNumber) =>
        await Db.SetContainsAsync(Numbers(Base(workspaceId)), phoneNumber);

    /// <summary>Every call of the bucket (or of one number in it) that started in [from, to), oldest first.</summary>
    public async Task<List<CallRecord>> Range(string? workspaceId, string? phoneNumber, DateTimeOffset from, DateTimeOffset to)
    {
        var bucket = Base(workspaceId);
        var log = phoneNumber is null ? Log(bucket) : NumberLog(bucket, phoneNumber);
        var calls = new List<CallRecord>();
        RedisValue min = "[" + Bound(from);
        RedisValue max = "(" + Bound(to);
        while (true)
        {
            var members = await RangeByLex(log, min, max, Order.Ascending, Chunk);
            if (members.Length == 0) break;
            foreach (var call in await Read(bucket, members)) calls.Add(call.Record);
            if (members.Length < Chunk) break;
            min = "(" + members[^1];
        }
        return calls;
    }

    /// <summary>
    /// Newest first, calls that started in [from, to) and before the member <paramref name="after"/> (exclusive),
    /// that pass <paramref name="filter"/>; at most <paramref name="limit"/>, and whether more may follow.
    /// </summary>
    public async Task<(List<StoredCall> Calls, bool More)> Page(string workspaceId, string? phoneNumber, DateTimeOffset from,
        DateTimeOffset to, string? after, int limit, Func<CallRecord, bool> filter)
    {
        var bucket = Base(workspaceId);
        var log = phoneNumber is null ? Log(bucket) : NumberLog(bucket, phoneNumber);
        var page = new List<StoredCall>(limit);
        RedisValue min = "[" + Bound(from);
        var upper = "(" + Bound(to);
        RedisValue max = after is not null && string.CompareOrdinal(after, upper[1..]) < 0 ? "(" + after : upper;
        var chunk = Math.Max(limit + 1, 100);
        while (true)
        {
            var members = await RangeByLex(log, min, max, Order.Descending, chunk);
            foreach (var call in await Read(bucket, members))
            {
                if (!filter(call.Record)) continue;
                if (page.Count == limit) return (page, true);
                page.Add(call);
            }
            if (members.Length < chunk) return (page, false);
            max = "(" + members[^1];
        }
    }

    /// <summary>ZRANGEBYLEX with the bounds exactly as given ("[x" inclusive, "(x" exclusive).</summary>
    private async Task<RedisValue[]> RangeByLex(RedisKey key, RedisValue min, RedisValue max, Order order, int count)
    {
        var result = order == Order.Ascending
            ? await Db.ExecuteAsync("ZRANGEBYLEX", key, min, max, "LIMIT", 0, count)
            : await Db.ExecuteAsync("ZREVRANGEBYLEX", key, max, min, "LIMIT", 0, count);
        return (RedisValue[])result!;
    }

    private async Task<List<StoredCall>> Read(string bucket, RedisValue[] members)
    {
        if (members.Length == 0) return [];
        var bodies = await Db.HashGetAsync(Records(bucket), members);
        var calls = new List<StoredCall>(members.Length);
        for (var i = 0; i < members.Length; i++)
        {
            // A member without its record is being trimmed right now.
            if (bodies[i].IsNull) continue;
            calls.Add(new StoredCall(members[i]!, JsonSerializer.Deserialize((string)bodies[i]!, CallRecordJsonContext.Default.CallRecord)!));
        }
        return calls;
    }
}
