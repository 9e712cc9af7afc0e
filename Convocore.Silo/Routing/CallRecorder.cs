using System.Text.Json;
using System.Threading.Channels;
using Convocore.Contracts.Routing;
using StackExchange.Redis;

namespace Convocore.Silo.Routing;

/// <summary>
/// Takes finished call records from the call path without waiting (a channel write) and appends them to a
/// Redis stream in the background, where analytics and the call log read them.
/// </summary>
internal sealed class CallRecorder(
    [FromKeyedServices("redis")] IConnectionMultiplexer redis,
    IConfiguration configuration,
    RoutingMetrics metrics,
    ILogger<CallRecorder> logger) : BackgroundService
{
    private const int MaxBatch = 256;
    private readonly Channel<CallRecord> pending = Channel.CreateUnbounded<CallRecord>(new UnboundedChannelOptions { SingleReader = true });
    private readonly RedisKey stream = (configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:") + "calls";

    public void Record(CallRecord record) => pending.Writer.TryWrite(record);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<CallRecord>(MaxBatch);
        while (await pending.Reader.WaitToReadAsync(stoppingToken))
        {
            while (batch.Count < MaxBatch && pending.Reader.TryRead(out var record)) batch.Add(record);
            try
            {
                var database = redis.GetDatabase();
                await Task.WhenAll(batch.Select(r => database.StreamAddAsync(stream, "call",
                    JsonSerializer.Serialize(r, CallRecordJsonContext.Default.CallRecord))));
                foreach (var call in batch) metrics.Ended(call);
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
        var entries = await redis.GetDatabase().StreamRangeAsync(stream, "-", "+", count, Order.Descending);
        return entries.Select(e => JsonSerializer.Deserialize((string)e["call"]!, CallRecordJsonContext.Default.CallRecord)!).ToArray();
    }
}
