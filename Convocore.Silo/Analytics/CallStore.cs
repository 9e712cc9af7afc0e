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

    // Both apply scripts: KEYS: log, records, numbers, backfill state; ARGV[1]: the number log prefix. The rollups are
    // updated in the same script as the dedupe, so a crash can neither count a record twice nor lose it. A bucket with
    // calls from before rollups (no state yet) is rolled up by the backfill, which owns every member above its cursor
    // until it is done. They return how many records were new.
    private const string LogLua = CallRollup.Script + "\n" + """
        local logged, numbers = {}, {}
        local function log(member, number)
          logged[#logged + 1] = 0
          logged[#logged + 1] = member
          if number ~= '' then local z = into(numbers, number) z[#z + 1] = 0 z[#z + 1] = member end
        end
        local function finish()
          for i = 1, #logged, 400 do redis.call('ZADD', KEYS[1], unpack(logged, i, math.min(i + 399, #logged))) end
          for number, z in pairs(numbers) do
            redis.call('SADD', KEYS[3], number)
            for i = 1, #z, 400 do redis.call('ZADD', ARGV[1] .. number, unpack(z, i, math.min(i + 399, #z))) end
          end
          flush()
        end
        """;

    // The usual case, a batch of new records of a bucket that is rolled up: ARGV[2] k, then k (member, json, number),
    // then the batch's rollup ops already added up by the silo. -1 when a record is there already or the backfill is
    // still at work: then the batch goes again through ApplyEachScript.
    private const string ApplyBatchScript = LogLua + "\n" + """
        local state = redis.call('GET', KEYS[4])
        if state ~= 'done' and (state or redis.call('EXISTS', KEYS[1]) == 1) then return -1 end
        local last = 2 + tonumber(ARGV[2]) * 3
        for at = 3, last, 3 do if redis.call('HEXISTS', KEYS[2], ARGV[at]) == 1 then return -1 end end
        if not state then redis.call('SET', KEYS[4], 'done') end
        local records = {}
        for at = 3, last, 3 do
          records[#records + 1] = ARGV[at]
          records[#records + 1] = ARGV[at + 1]
          log(ARGV[at], ARGV[at + 2])
        end
        for i = 1, #records, 400 do redis.call('HSET', KEYS[2], unpack(records, i, math.min(i + 399, #records))) end
        gather(last + 1, #ARGV)
        finish()
        return tonumber(ARGV[2])
        """;

    // Record by record: ARGV then holds per record its member, json, number or '', op count and rollup ops.
    private const string ApplyEachScript = LogLua + "\n" + """
        local state = redis.call('GET', KEYS[4])
        local fresh = redis.call('EXISTS', KEYS[1]) == 0
        local applied, at = 0, 2
        while at <= #ARGV do
          local member, count = ARGV[at], tonumber(ARGV[at + 3])
          if redis.call('HSETNX', KEYS[2], member, ARGV[at + 1]) == 1 then
            applied = applied + 1
            log(member, ARGV[at + 2])
            if not state and fresh then
              state = 'done'
              redis.call('SET', KEYS[4], state)
            end
            if rolled(state, member) then gather(at + 4, at + 3 + count * 4) end
          end
          at = at + 4 + count * 4
        end
        finish()
        return applied
        """;

    // KEYS: log, records, number log (the log again when there is no number), numbers, backfill state; ARGV: member,
    // json (unused), number or '', then the rollup ops: takes one call out of the log and, if it was rolled up, out of the rollups.
    private const string RemoveScript = CallRollup.Script + "\n" + """
        if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then
          redis.call('ZREM', KEYS[1], ARGV[1])
          return 0
        end
        redis.call('ZREM', KEYS[1], ARGV[1])
        if ARGV[3] ~= '' then
          redis.call('ZREM', KEYS[3], ARGV[1])
          if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('SREM', KEYS[4], ARGV[3]) end
        end
        if rolled(redis.call('GET', KEYS[5]), ARGV[1]) then roll(4, #ARGV, -1) end
        return 1
        """;

    // KEYS: log, backfill state; ARGV: the cursor read, k, k members, then each member's op count and ops. Rolls the
    // chunk up only if it still is the k members after the cursor (a late record may have landed among them), and
    // moves the cursor past it in the same step; -1: read again.
    private const string BackfillScript = CallRollup.Script + "\n" + """
        local state = redis.call('GET', KEYS[2])
        if state == 'done' then return 0 end
        if (state or '') ~= ARGV[1] then return -1 end
        local k = tonumber(ARGV[2])
        local now = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1] == '' and '-' or '(' .. ARGV[1], '+', 'LIMIT', 0, k + 1)
        for i = 1, k do if now[i] ~= ARGV[2 + i] then return -1 end end
        if #now > k and k == 0 then return -1 end
        local at = 3 + k
        for i = 1, k do
          local count = tonumber(ARGV[at])
          gather(at + 1, at + count * 4)
          at = at + 1 + count * 4
        end
        flush()
        if #now > k then redis.call('SET', KEYS[2], ARGV[2 + k]) else redis.call('SET', KEYS[2], 'done') end
        return k
        """;

    private readonly string prefix = configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:";

    public IDatabase Db => redis.GetDatabase();

    /// <summary>The stream the call recorder appends to.</summary>
    public RedisKey Stream => prefix + "calls";

    private RedisKey Buckets => prefix + "analytics:buckets";

    /// <summary>The key prefix of a workspace's bucket (null: calls to numbers of no workspace).</summary>
    public string Base(string? workspaceId) => workspaceId is null ? $"{prefix}{{unowned}}:" : $"{prefix}ws:{{{workspaceId}}}:";
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

    /// <summary>
    /// Adds each call to its bucket, and its rollups, unless it is there already; returns how many were new. One script
    /// per bucket and chunk of calls, with the chunk's rollup ops added up here: the calls of a busy workspace fall in
    /// the same hour, so Redis writes each rollup field once per chunk rather than once per call.
    /// </summary>
    public async Task<int> Apply(IReadOnlyList<(CallRecord Call, string Json)> calls)
    {
        var db = Db;
        var applied = new List<Task<int>>();
        foreach (var group in calls.GroupBy(c => c.Call.WorkspaceId ?? UnownedBucket))
        {
            var bucket = Base(group.First().Call.WorkspaceId);
            RedisKey[] keys = [Log(bucket), Records(bucket), Numbers(bucket), CallRollup.Backfill(bucket)];
            // A record appended twice (a retried append) is one call; the batch script counts what it is given.
            foreach (var chunk in group.DistinctBy(c => Member(c.Call)).Chunk(ApplyChunk))
            {
                var each = new List<RedisValue>(1 + chunk.Length * 110) { NumberLogPrefix(bucket) };
                var batch = new List<RedisValue>(2 + chunk.Length * 10) { NumberLogPrefix(bucket), chunk.Length };
                var sums = new Dictionary<(string Op, string Key, string Field), long>();
                var scored = new List<RedisValue>();
                var ops = new List<RedisValue>(100);
                foreach (var (call, json) in chunk)
                {
                    var member = Member(call);
                    RedisValue number = LoggedNumber(call) ?? "";
                    ops.Clear();
                    CallRollup.Ops(RollupBase(call), call, member, LoggedNumber(call), ops);
                    each.AddRange([member, json, number, ops.Count / 4]);
                    each.AddRange(ops);
                    batch.AddRange([member, json, number]);
                    for (var i = 0; i < ops.Count; i += 4)
                    {
                        var op = (string)ops[i]!;
                        if (op == "z")
                        {
                            scored.AddRange(ops.Skip(i).Take(4));
                            continue;
                        }
                        var at = (op, (string)ops[i + 1]!, (string)ops[i + 2]!);
                        var value = (long)ops[i + 3];
                        sums[at] = !sums.TryGetValue(at, out var sum) ? value
                            : op == "i" ? sum + value : op == "m" ? Math.Max(sum, value) : Math.Min(sum, value);
                    }
                }
                foreach (var ((op, key, field), value) in sums) batch.AddRange([op, key, field, value]);
                batch.AddRange(scored);
                applied.Add(ApplyChunkAsync(db, keys, batch, each));
            }
        }
        var registered = db.SetAddAsync(Buckets, calls.Select(c => (RedisValue)(c.Call.WorkspaceId ?? UnownedBucket)).Distinct().ToArray());
        var counts = await Task.WhenAll(applied);
        await registered;
        return counts.Sum();
    }

    private static async Task<int> ApplyChunkAsync(IDatabase db, RedisKey[] keys, List<RedisValue> batch, List<RedisValue> each)
    {
        var applied = (int)await db.ScriptEvaluateAsync(ApplyBatchScript, keys, batch.ToArray());
        return applied >= 0 ? applied : (int)await db.ScriptEvaluateAsync(ApplyEachScript, keys, each.ToArray());
    }

    /// <summary>Calls per apply script: a few ms of Redis, so nothing else waits long behind it.</summary>
    private const int ApplyChunk = 250;

    /// <summary>Test calls have rollups of their own beside the bucket's, so the figures leave them out at no cost.</summary>
    public string RollupBase(CallRecord call) => Base(call.WorkspaceId) + (call.Test ? TestRollups : "");

    public const string TestRollups = "test:";

    private static string? LoggedNumber(CallRecord call) => call.WorkspaceId is null ? null : call.PhoneNumber;

    private RedisKey[] CallKeys(CallRecord call)
    {
        var bucket = Base(call.WorkspaceId);
        var number = LoggedNumber(call);
        return [Log(bucket), Records(bucket), number is null ? Log(bucket) : NumberLog(bucket, number), Numbers(bucket), CallRollup.Backfill(bucket)];
    }

    private RedisValue[] CallArgs(CallRecord call, string json)
    {
        var member = Member(call);
        var number = LoggedNumber(call);
        var args = new List<RedisValue>(160) { member, json, number ?? "" };
        CallRollup.Ops(RollupBase(call), call, member, number, args);
        return args.ToArray();
    }

    /// <summary>Removes every call that started before <paramref name="cutoff"/>, and it from the rollups; returns how many.</summary>
    public async Task<long> Trim(DateTimeOffset cutoff, int batch = Chunk)
    {
        var db = Db;
        long removed = 0;
        foreach (var id in await db.SetMembersAsync(Buckets))
        {
            var bucket = Base(id == UnownedBucket ? null : id.ToString());
            while (true)
            {
                var members = await RangeByLex(Log(bucket), "-", "(" + Bound(cutoff), Order.Ascending, batch);
                if (members.Length == 0) break;
                var bodies = await db.HashGetAsync(Records(bucket), members);
                var removals = new List<Task<RedisResult>>(members.Length);
                for (var i = 0; i < members.Length; i++)
                {
                    // A member without its record is being removed by another silo right now.
                    if (bodies[i].IsNull)
                    {
                        removals.Add(db.ScriptEvaluateAsync("redis.call('ZREM', KEYS[1], ARGV[1]) return 0", [Log(bucket)], [members[i]]));
                        continue;
                    }
                    var call = JsonSerializer.Deserialize((string)bodies[i]!, CallRecordJsonContext.Default.CallRecord)!;
                    removals.Add(db.ScriptEvaluateAsync(RemoveScript, CallKeys(call), CallArgs(call, "")));
                }
                await Task.WhenAll(removals);
                removed += removals.Count(t => (int)t.Result == 1);
                if (members.Length < batch) break;
            }
        }
        // Stream ids are the append time in ms, which is after the start: whatever is older was applied long ago.
        await db.ExecuteAsync("XTRIM", Stream, "MINID", "~", cutoff.ToUnixTimeMilliseconds());
        return removed;
    }

    /// <summary>
    /// Rolls up the calls stored before rollups existed, bucket by bucket, a chunk at a time from a cursor kept in
    /// Redis: idempotent, resumable after a crash, and safe beside the ingesters and other silos doing the same.
    /// Returns how many calls it rolled up.
    /// </summary>
    public async Task<long> Backfill(CancellationToken cancellationToken = default, int batch = 200)
    {
        var db = Db;
        long rolled = 0;
        foreach (var id in await db.SetMembersAsync(Buckets))
        {
            var bucket = Base(id == UnownedBucket ? null : id.ToString());
            while (!cancellationToken.IsCancellationRequested)
            {
                var state = (string?)await db.StringGetAsync(CallRollup.Backfill(bucket));
                if (state == "done") break;
                state ??= "";
                var members = await RangeByLex(Log(bucket), state == "" ? "-" : "(" + state, "+", Order.Ascending, batch);
                var bodies = members.Length == 0 ? [] : await db.HashGetAsync(Records(bucket), members);
                var args = new List<RedisValue>(2 + members.Length * 100) { state, members.Length };
                args.AddRange(members);
                var ops = new List<RedisValue>(100);
                for (var i = 0; i < members.Length; i++)
                {
                    ops.Clear();
                    if (!bodies[i].IsNull)
                    {
                        var call = JsonSerializer.Deserialize((string)bodies[i]!, CallRecordJsonContext.Default.CallRecord)!;
                        CallRollup.Ops(RollupBase(call), call, members[i]!, LoggedNumber(call), ops);
                    }
                    args.Add(ops.Count / 4);
                    args.AddRange(ops);
                }
                var done = (long)await db.ScriptEvaluateAsync(BackfillScript, [Log(bucket), CallRollup.Backfill(bucket)], args.ToArray());
                if (done > 0) rolled += done;
            }
        }
        return rolled;
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
