using System.Globalization;
using Convocore.Contracts.Routing;
using StackExchange.Redis;

namespace Convocore.Silo.Analytics;

/// <summary>
/// The hourly and daily aggregates of a bucket (and of each number in it), as Redis hashes beside the call log, with
/// the same hash tag so one script updates them with the record:
/// - <c>…rollup:h:{hour}</c>, <c>…rollup:d:{day}</c> (hours and days since the Unix epoch, UTC), and the same with
///   <c>:n:{e164}</c> per number. Fields: <c>n</c> calls, <c>ok</c> routed, <c>f:{reason}</c> failed by reason,
///   <c>b:{reason}</c> handed to the number's fallback by the reason its agent could not take it,
///   <c>g:{region}</c>, <c>dn</c>/<c>ds</c> routed calls with a duration and their sum in ms, <c>q:{bucket}</c> the
///   duration histogram (<see cref="Bucket"/>); a day also <c>t:{HH}</c> calls per hour of that day; the bucket's own
///   (not a number's) also <c>c:/o:/x:/l:{number}</c> calls, routed, handed to the fallback, last start (Unix ms) per number;
///   an hour and a day also <c>lo</c>/<c>hi</c>, the earliest and latest start (Unix ms) of its calls, and <c>bn</c> the
///   calls they were kept for: when <c>bn</c> = <c>n</c> and both lie inside a range, the range's ragged edge takes that
///   hour (or day) whole.
/// - <c>…durations:{day}</c> (and <c>:n:{e164}</c>): a sorted set of the day's routed calls, score = duration in ms,
///   member = the call's log member, so the p95 stays exact: the histogram finds its bucket, this set its value.
/// A day's rollup is the sum of its hours', kept so that a month reads 30 hashes rather than 720.
/// </summary>
internal static class CallRollup
{
    public const long HourMs = 3_600_000;
    public const long DayMs = 86_400_000;

    /// <summary>Durations below this many ms get a bucket each.</summary>
    private const int Exact = 32;
    private const int SubBuckets = 16;

    /// <summary>
    /// Log-linear: exact below 32 ms, then 16 buckets per power of two, so a bucket is at most 1/16 (6.25 %) of its
    /// lower bound wide: ~340 buckets up to 24 h, of which a day's calls fill the hundred or so they reach. The histogram
    /// only names the bucket holding the p95's rank; its value comes from the duration sets, so coarse buckets keep the
    /// rollups small (a request reads fewer fields) at the price of reading a wider band of one set per day.
    /// </summary>
    public static int Bucket(long ms)
    {
        if (ms < Exact) return (int)Math.Max(0, ms);
        var exponent = 63 - (int)ulong.LeadingZeroCount((ulong)ms); // ≥ 5
        var shift = exponent - 4;
        return Exact + (exponent - 5) * SubBuckets + (int)((ms >> shift) - SubBuckets);
    }

    /// <summary>[lower, upper) in ms of a bucket.</summary>
    public static (long Lower, long Upper) Bounds(int bucket)
    {
        if (bucket < Exact) return (bucket, bucket + 1);
        var exponent = (bucket - Exact) / SubBuckets + 5;
        var shift = exponent - 4;
        var lower = (long)(SubBuckets + (bucket - Exact) % SubBuckets) << shift;
        return (lower, lower + (1L << shift));
    }

    /// <summary>
    /// The bucket of a field <c>h:{bucket}</c> written before 2026-12-07 (exact below 256 ms, then 128 per power of two),
    /// which lies whole inside one of today's buckets: so older rollups still read exactly.
    /// </summary>
    public static int FromFineBucket(int fine)
    {
        if (fine < 256) return Bucket(fine);
        var exponent = (fine - 256) / 128 + 8;
        return Bucket((long)(128 + (fine - 256) % 128) << (exponent - 7));
    }

    public static long DurationMs(double seconds) => (long)Math.Round(seconds * 1000, MidpointRounding.AwayFromZero);

    public static RedisKey Hour(string bucket, long hour, string? number = null) => bucket + "rollup:h:" + hour.ToString(CultureInfo.InvariantCulture) + Of(number);
    public static RedisKey Day(string bucket, long day, string? number = null) => bucket + "rollup:d:" + day.ToString(CultureInfo.InvariantCulture) + Of(number);
    public static RedisKey Durations(string bucket, long day, string? number = null) => bucket + "durations:" + day.ToString(CultureInfo.InvariantCulture) + Of(number);
    public static RedisKey Backfill(string bucket) => bucket + "rollup-backfill";

    /// <summary>The field a call that was not routed counts in: f:{reason} when it failed, b:{reason} when it went to its fallback.</summary>
    private static string Outcome(CallRecord call) =>
        (call.Outcome == CallOutcome.Fallback ? "b:" : "f:") + (call.FailureReason ?? "internal");

    private static string Of(string? number) => number is null ? "" : ":n:" + number;

    /// <summary>
    /// What one record adds to the rollups, as (op, key, field, value) quadruples for <see cref="Script"/>: "i" adds
    /// value to a hash field, "m" raises a hash field to value, "&lt;" lowers it to value, "z" adds the field to a sorted set with score value.
    /// </summary>
    public static void Ops(string bucket, CallRecord call, string member, string? number, List<RedisValue> ops)
    {
        var started = call.StartedAt.ToUnixTimeMilliseconds();
        var hour = Math.DivRem(started, HourMs, out _);
        var day = Math.DivRem(started, DayMs, out _);
        var routed = call.Outcome == CallOutcome.Routed;
        long? duration = routed && call.DurationSeconds is { } d ? DurationMs(d) : null;
        var volume = call.PhoneNumber ?? call.Dialed;
        var hourOfDay = "t:" + (hour % 24).ToString("D2", CultureInfo.InvariantCulture);

        void Add(string op, RedisKey key, string field, long value)
        {
            ops.Add(op);
            ops.Add((string)key!);
            ops.Add(field);
            ops.Add(value);
        }

        void Common(RedisKey key)
        {
            Add("i", key, "n", 1);
            Add("i", key, routed ? "ok" : Outcome(call), 1);
            if (call.Region is { } region) Add("i", key, "g:" + region, 1);
            if (duration is { } ms)
            {
                Add("i", key, "dn", 1);
                Add("i", key, "ds", ms);
                Add("i", key, "q:" + Bucket(ms).ToString(CultureInfo.InvariantCulture), 1);
            }
        }

        void KeepBounds(RedisKey key)
        {
            Add("i", key, "bn", 1);
            Add("<", key, "lo", started);
            Add("m", key, "hi", started);
        }

        foreach (var key in new[] { Hour(bucket, hour), Day(bucket, day) })
        {
            Common(key);
            Add("i", key, "c:" + volume, 1);
            if (routed) Add("i", key, "o:" + volume, 1);
            if (call.Outcome == CallOutcome.Fallback) Add("i", key, "x:" + volume, 1);
            Add("m", key, "l:" + volume, started);
        }
        KeepBounds(Hour(bucket, hour));
        KeepBounds(Day(bucket, day));
        Add("i", Day(bucket, day), hourOfDay, 1);
        if (duration is { } value) Add("z", Durations(bucket, day), member, value);
        if (number is null) return;
        Common(Hour(bucket, hour, number));
        KeepBounds(Hour(bucket, hour, number));
        Common(Day(bucket, day, number));
        KeepBounds(Day(bucket, day, number));
        Add("i", Day(bucket, day, number), hourOfDay, 1);
        if (duration is { } v) Add("z", Durations(bucket, day, number), member, v);
    }

    /// <summary>
    /// Lua: applies the ops ARGV[from..to] with sign s (1 to add a record, -1 to take it out). Taking out deletes what
    /// reaches zero (a field, a number's fields, the hash), so retention leaves no empty rollup behind. A number's
    /// "last call" need not be lowered: retention takes out the oldest calls first, so the last one stays. An hour's
    /// bounds (lo/hi) are not narrowed either: wider than the calls left, they only make a ragged edge read records.
    /// </summary>
    public const string Script = """
        local function roll(from, to, s)
          for i = from, to, 4 do
            local op, key, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
            if op == 'i' then
              local now = redis.call('HINCRBY', key, field, s * value)
              if s < 0 and now <= 0 then
                if field == 'n' then redis.call('DEL', key)
                elseif string.sub(field, 1, 2) == 'c:' then
                  local number = string.sub(field, 3)
                  redis.call('HDEL', key, field, 'o:' .. number, 'l:' .. number)
                else redis.call('HDEL', key, field) end
              end
            elseif op == 'm' or op == '<' then
              if s > 0 then
                local last = redis.call('HGET', key, field)
                if not last or (op == 'm' and tonumber(last) < value) or (op == '<' and tonumber(last) > value) then
                  redis.call('HSET', key, field, ARGV[i + 3])
                end
              end
            elseif s > 0 then redis.call('ZADD', key, value, field)
            else redis.call('ZREM', key, field) end
          end
        end
        local function rolled(state, member) return state == 'done' or (state ~= false and member <= state) end
        -- A batch of records adds up its ops first (gather), then writes each key's field once (flush): the calls of
        -- one hour touch the same few hashes, so a batch costs Redis a command per field, not per field per record.
        local adds, highs, lows, scored = {}, {}, {}, {}
        local function into(t, key) local f = t[key] if not f then f = {} t[key] = f end return f end
        local function gather(from, to)
          for i = from, to, 4 do
            local op, key, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
            if op == 'i' then local f = into(adds, key) f[field] = (f[field] or 0) + value
            elseif op == 'm' then local f = into(highs, key) if not f[field] or f[field] < value then f[field] = value end
            elseif op == '<' then local f = into(lows, key) if not f[field] or f[field] > value then f[field] = value end
            else local z = into(scored, key) z[#z + 1] = value z[#z + 1] = field end
          end
        end
        local function extreme(t, higher)
          for key, fields in pairs(t) do
            for field, value in pairs(fields) do
              local now = tonumber(redis.call('HGET', key, field))
              if not now or (higher and now < value) or (not higher and now > value) then
                redis.call('HSET', key, field, string.format('%d', value))
              end
            end
          end
        end
        local function flush()
          for key, fields in pairs(adds) do
            for field, value in pairs(fields) do redis.call('HINCRBY', key, field, string.format('%d', value)) end
          end
          extreme(highs, true)
          extreme(lows, false)
          for key, z in pairs(scored) do
            for i = 1, #z, 400 do redis.call('ZADD', key, unpack(z, i, math.min(i + 399, #z))) end
          end
        end
        """;
}
