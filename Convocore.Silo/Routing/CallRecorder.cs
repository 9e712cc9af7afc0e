using System.Text.Json;
using System.Threading.Channels;
using Convocore.Contracts.Routing;
using StackExchange.Redis;

namespace Convocore.Silo.Routing;

/// <summary>
/// Takes call records from the call path without waiting (a channel write) and writes them to Redis in the background:
/// finished calls to a stream, where analytics and the call log read them (and routed calls as they are handed over, field
/// <see cref="OpenedField"/>, for the webhooks); routed calls still in progress to a hash per
/// Asterisk server, so that when the silo holding the connection dies, the silo that takes it over follows those calls
/// and records their real end. At most <see cref="QueueCapacity"/> records wait; past that a new one is dropped and
/// counted. The writer keeps going through any failure, and on a graceful stop it writes what waits before it ends
/// (after the rest of the silo has stopped, so the calls the Stasis apps record on their way out are written too).
/// </summary>
internal sealed class CallRecorder : IHostedLifecycleService, IDisposable
{
    public const int QueueCapacity = 100_000;
    private const int MaxBatch = 256;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    private readonly IConnectionMultiplexer redis;
    private readonly RoutingMetrics metrics;
    private readonly ILogger<CallRecorder> logger;
    // Dropping the newest keeps what already waits in order; see the README ("Reliability").
    private readonly Channel<PendingWrite> pending = Channel.CreateBounded<PendingWrite>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource abandon = new();
    private readonly string prefix;
    private readonly TimeSpan linger;
    private volatile int writing;
    private volatile bool finished;
    private Task writer = Task.CompletedTask;

    public CallRecorder([FromKeyedServices("redis")] IConnectionMultiplexer redis, IConfiguration configuration, RoutingMetrics metrics,
        ILogger<CallRecorder> logger)
    {
        this.redis = redis;
        this.metrics = metrics;
        this.logger = logger;
        prefix = configuration["Convocore:Redis:KeyPrefix"] ?? "convocore:";
        linger = configuration.GetValue("Convocore:Calls:RecordLinger", TimeSpan.FromMilliseconds(10));
        metrics.ObserveRecordsQueued(() => Queued);
    }

    private RedisKey Stream => prefix + "calls";

    /// <summary>The field of a stream entry for a call handed to its agent; a finished call's is <c>call</c>.</summary>
    public const string OpenedField = "opened";
    private RedisKey OpenCallsOf(string server) => prefix + "open-calls:" + server;

    /// <summary>Records not yet written: waiting, and in the batch being written.</summary>
    public int Queued => pending.Reader.Count + writing;

    /// <summary>A finished call: to the call log. A routed one (or <paramref name="wasOpened"/>) stops being open.</summary>
    public void Record(CallRecord record, bool wasOpened = false) =>
        Enqueue(new PendingWrite(record, Open: false, Closes: wasOpened || CallOutcomes.HandedOver(record.Outcome), CallTracing.StartRecord(open: false)));

    /// <summary>A call handed to its agent, whose end Asterisk has yet to report.</summary>
    public void Opened(CallRecord record) => Enqueue(new PendingWrite(record, Open: true, Closes: false, CallTracing.StartRecord(open: true)));

    /// <remarks>A write's span (a child of its call's) ends when its batch has landed in Redis.</remarks>
    private void Enqueue(PendingWrite write)
    {
        if (pending.Writer.TryWrite(write)) return;
        var reason = finished ? "stopped" : "queue_full";
        metrics.RecordDropped(reason);
        CallTracing.Landed(write.Span, "dropped: " + reason);
    }

    /// <summary>The routed calls on <paramref name="server"/> whose end no silo has recorded yet.</summary>
    public async Task<IReadOnlyList<CallRecord>> OpenCalls(string server)
    {
        var entries = await redis.GetDatabase().HashValuesAsync(OpenCallsOf(server));
        return entries.Select(e => JsonSerializer.Deserialize((string)e!, CallRecordJsonContext.Default.CallRecord)!).ToArray();
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        writer = Task.Run(() => WriteAsync(abandon.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The last step of the silo's stop: no record comes after this one, and what waits is written, for as long as the
    /// host's shutdown timeout leaves.
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        finished = true;
        pending.Writer.TryComplete();
        await using (cancellationToken.Register(abandon.Cancel))
        {
            await writer;
        }
        if (Queued > 0)
            logger.LogError("The silo stopped before {Count} call records could be written to Redis; they are lost", Queued);
    }

    private async Task WriteAsync(CancellationToken abandoned)
    {
        var batch = new List<PendingWrite>(MaxBatch);
        var failures = new FailureStreak(logger, "Writing call records to Redis", FirstRetry, MaxRetry);
        while (!abandoned.IsCancellationRequested)
        {
            try
            {
                if (batch.Count == 0)
                {
                    if (!await pending.Reader.WaitToReadAsync(abandoned)) return;
                    // A moment for more records to come: one round trip (and one fsync on Redis' side) for many calls
                    // rather than one each, which under SIP load is CPU taken from Asterisk on the same cores.
                    if (linger > TimeSpan.Zero && pending.Reader.Count < MaxBatch) await Task.Delay(linger, abandoned);
                }
                while (batch.Count < MaxBatch && pending.Reader.TryRead(out var write)) batch.Add(write);
                writing = batch.Count;
                // A write that timed out may still reach Redis later: ask first rather than pile up copies while it is away.
                if (failures.Failing) await redis.GetDatabase().PingAsync();
                await Write(batch);
                foreach (var write in batch)
                {
                    if (!write.Open) metrics.Ended(write.Call);
                    CallTracing.Landed(write.Span);
                }
                batch.Clear();
                writing = 0;
                failures.Succeeded();
            }
            catch (OperationCanceledException) when (abandoned.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Kept and retried: a Redis blip must not lose calls. A record written twice is counted once by analytics.
                await failures.PauseAfter(ex, abandoned);
            }
        }
    }

    private async Task Write(List<PendingWrite> batch)
    {
        var database = redis.GetDatabase();
        var writes = new List<Task>(batch.Count * 2);
        // One connection, sent in this order: a call's open entry is written before it is removed.
        foreach (var (call, open, closes, _) in batch)
        {
            var json = JsonSerializer.Serialize(call, CallRecordJsonContext.Default.CallRecord);
            if (open)
            {
                writes.Add(database.HashSetAsync(OpenCallsOf(call.Server), call.ChannelId, json));
                // For the webhooks' call.started and call.routed while the call goes on (analytics reads finished calls only).
                writes.Add(database.StreamAddAsync(Stream, OpenedField, json));
                continue;
            }
            writes.Add(database.StreamAddAsync(Stream, "call", json));
            if (closes) writes.Add(database.HashDeleteAsync(OpenCallsOf(call.Server), call.ChannelId));
        }
        await Task.WhenAll(writes);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    // Keeps writing while the rest of the silo stops: see StoppedAsync.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => abandon.Cancel();

    /// <summary>The newest records first, at most <paramref name="count"/>.</summary>
    public async Task<IReadOnlyList<CallRecord>> ReadLatest(int count)
    {
        var entries = await redis.GetDatabase().StreamRangeAsync(Stream, "-", "+", count, Order.Descending);
        return entries.Where(e => !e["call"].IsNull)
            .Select(e => JsonSerializer.Deserialize((string)e["call"]!, CallRecordJsonContext.Default.CallRecord)!).ToArray();
    }

    private readonly record struct PendingWrite(CallRecord Call, bool Open, bool Closes, System.Diagnostics.Activity? Span);
}
