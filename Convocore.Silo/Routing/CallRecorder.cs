using System.Text.Json;
using System.Threading.Channels;
using Convocore.Contracts.Routing;
using StackExchange.Redis;

namespace Convocore.Silo.Routing;

/// <summary>
/// Takes call records from the call path without waiting (a channel write) and writes them to Redis in the background:
/// finished calls to a stream, where analytics and the call log read them; routed calls still in progress to a hash per
/// Asterisk server, so that when the silo holding the connection dies, the silo that takes it over follows those calls
/// and records their real end.
/// </summary>
internal sealed class CallRecorder(
    [FromKeyedServices("redis")] IConnectionMultiplexer redis,
    IConfiguration configuration,
    RoutingMetrics metrics,
    ILogger<CallRecorder> logger) : BackgroundService
{
    private const int MaxBatch = 256;
    private readonly Channel<PendingWrite> pending = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string prefix = configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:";
    private RedisKey Stream => prefix + "calls";
    private RedisKey OpenCallsOf(string server) => prefix + "open-calls:" + server;

    /// <summary>A finished call: to the call log. A routed one (or <paramref name="wasOpened"/>) stops being open.</summary>
    public void Record(CallRecord record, bool wasOpened = false) =>
        pending.Writer.TryWrite(new PendingWrite(record, Open: false, Closes: wasOpened || record.Outcome == CallOutcome.Routed));

    /// <summary>A call handed to its agent, whose end Asterisk has yet to report.</summary>
    public void Opened(CallRecord record) => pending.Writer.TryWrite(new PendingWrite(record, Open: true, Closes: false));

    /// <summary>The routed calls on <paramref name="server"/> whose end no silo has recorded yet.</summary>
    public async Task<IReadOnlyList<CallRecord>> OpenCalls(string server)
    {
        var entries = await redis.GetDatabase().HashValuesAsync(OpenCallsOf(server));
        return entries.Select(e => JsonSerializer.Deserialize((string)e!, CallRecordJsonContext.Default.CallRecord)!).ToArray();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingWrite>(MaxBatch);
        while (await pending.Reader.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < MaxBatch && pending.Reader.TryRead(out var write)) batch.Add(write);
            try
            {
                var database = redis.GetDatabase();
                var writes = new List<Task>(batch.Count * 2);
                // One connection, sent in this order: a call's open entry is written before it is removed.
                foreach (var (call, open, closes) in batch)
                {
                    var json = JsonSerializer.Serialize(call, CallRecordJsonContext.Default.CallRecord);
                    if (open)
                    {
                        writes.Add(database.HashSetAsync(OpenCallsOf(call.Server), call.ChannelId, json));
                        continue;
                    }
                    writes.Add(database.StreamAddAsync(Stream, "call", json));
                    if (closes) writes.Add(database.HashDeleteAsync(OpenCallsOf(call.Server), call.ChannelId));
                }
                await Task.WhenAll(writes);
                foreach (var write in batch)
                    if (!write.Open) metrics.Ended(write.Call);
                batch.Clear();
            }
            catch (RedisException ex)
            {
                // Kept and retried: a Redis blip must not lose calls.
                logger.LogWarning("Writing {Count} call records failed ({Error}); retrying", batch.Count, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>The newest records first, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<CallRecord>> ReadLatest(int count)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(Stream, "-", "+", count, Order.Descending);
        return entries.Select(e => JsonSerializer.Deserialize((string)e["call"]!, CallRecordJsonContext.Default.CallRecord)!).ToArray();
    }

    private readonly record struct PendingWrite(CallRecord Call, bool Open, bool Closes);
}
