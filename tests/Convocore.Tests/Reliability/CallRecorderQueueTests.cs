using System.Diagnostics.Metrics;
using System.Text.Json;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using StackExchange.Redis;
using CallOutcome = Convocore.Contracts.Routing.CallOutcome;

namespace Convocore.Tests.Reliability;

/// <summary>One silo, no Asterisk and no ingestion: the stream holds only what a test hands the recorder.</summary>
public sealed class RecorderSystem : ConvocoreSystem
{
    protected override short InitialSilos => 1;

    protected override IEnumerable<KeyValuePair<string, string?>> SiloSettings =>
        new Dictionary<string, string?> { ["Convocore:Analytics:Enabled"] = "false" };

    internal IServiceProvider Silo => ((InProcessSiloHandle)Cluster.Silos.Single()).SiloHost.Services;
}

public sealed class CallRecorderQueueTests(RecorderSystem system) : IClassFixture<RecorderSystem>
{
    [Fact]
    public async Task While_Redis_is_paused_at_most_100000_records_wait_the_rest_are_dropped_and_counted_and_the_kept_ones_are_written_after()
    {
        var recorder = system.Silo.GetRequiredService<CallRecorder>();
        using var metrics = new RecorderMetrics(system.Silo.GetRequiredService<IMeterFactory>());
        const int extra = 1_000;
        const int total = CallRecorder.QueueCapacity + extra;
        var started = DateTimeOffset.UtcNow;

        system.Redis.Pause();
        try
        {
            for (var i = 0; i < total; i++)
                recorder.Record(new CallRecord("queue." + i, "+15550000001", "+15550000001", "+15550000002", null, null, null, "NA", "queue-test",
                    started, CallOutcome.Failed, "unallocated", started, 0.01, null));
            // The batch being written (at most 256) has left the queue, so a little more than the capacity is kept.
            Assert.InRange(metrics.Dropped, extra - 256, extra);
            Assert.Equal(total - metrics.Dropped, metrics.Queued());
        }
        finally
        {
            system.Redis.Resume();
        }

        await Eventually.True(() => Task.FromResult(metrics.Queued() == 0), "the recorder wrote everything it kept", 120);
        var written = await StreamedChannels();
        Assert.Equal(total - metrics.Dropped, written.Count);
    }

    /// <summary>The distinct channels in the stream (a write retried after a timeout may have landed twice).</summary>
    private async Task<HashSet<string>> StreamedChannels()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(system.Redis.ConnectionString);
        var channels = new HashSet<string>();
        RedisValue from = "-";
        while (true)
        {
            var page = await redis.GetDatabase().StreamRangeAsync("convocore:calls", from, "+", 10_000);
            foreach (var entry in page.Where(e => !e["call"].IsNull))
                channels.Add(JsonSerializer.Deserialize((string)entry["call"]!, CallRecordJsonContext.Default.CallRecord)!.ChannelId);
            if (page.Length < 10_000) return channels;
            from = "(" + page[^1].Id;
        }
    }

    private sealed class RecorderMetrics : IDisposable
    {
        private readonly MeterListener listener = new();
        private long dropped;
        private long queued;

        public RecorderMetrics(IMeterFactory silo)
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, silo) && instrument.Name.StartsWith("convocore.calls.records.", StringComparison.Ordinal))
                    l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            {
                if (instrument.Name == "convocore.calls.records.dropped") Interlocked.Add(ref dropped, value);
                else if (instrument.Name == "convocore.calls.records.queued") Interlocked.Exchange(ref queued, value);
            });
            listener.Start();
        }

        public long Dropped => Interlocked.Read(ref dropped);

        public long Queued()
        {
            Interlocked.Exchange(ref queued, -1);
            listener.RecordObservableInstruments();
            return Interlocked.Read(ref queued);
        }

        public void Dispose() => listener.Dispose();
    }
}
