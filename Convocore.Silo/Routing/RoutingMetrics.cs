using System.Diagnostics;
using System.Diagnostics.Metrics;
using Convocore.Contracts.Routing;

namespace Convocore.Silo.Routing;

/// <summary>
/// Operator metrics of the call path. Tags are bounded: outcome, reason, region and server; never a phone number.
/// Recorded after the first ARI command went out, or (durations) by the recorder in the background.
/// </summary>
internal sealed class RoutingMetrics
{
    public const string MeterName = "Convocore.Routing";

    private readonly Histogram<double> routingDuration;
    private readonly Counter<long> calls;
    private readonly Counter<long> started;
    private readonly Counter<long> routed;
    private readonly Counter<long> failed;
    private readonly Histogram<double> callDuration;
    private readonly Counter<long> tableMisses;
    private readonly Histogram<double> invalidationDuration;
    private readonly Counter<long> recordsDropped;
    private readonly Counter<long> hookRequests;
    private readonly Histogram<double> hookDuration;
    private readonly Meter meter;

    public RoutingMetrics(IMeterFactory meters)
    {
        meter = meters.Create(MeterName);
        routingDuration = meter.CreateHistogram<double>("convocore.routing.duration", "ms",
            "Our own time from StasisStart received to the first ARI command sent");
        calls = meter.CreateCounter<long>("convocore.calls", description: "Calls that reached the Stasis application, by outcome");
        started = meter.CreateCounter<long>("convocore.calls.started", description: "Calls that reached the Stasis application");
        routed = meter.CreateCounter<long>("convocore.calls.routed", description: "Calls handed to their agent");
        failed = meter.CreateCounter<long>("convocore.calls.failed", description: "Calls released without reaching an agent, by reason");
        callDuration = meter.CreateHistogram<double>("convocore.call.duration", "s",
            "From channel creation to its end: the conversation for a routed call, our decision for a failed one",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600] });
        tableMisses = meter.CreateCounter<long>("convocore.routing.table.misses",
            description: "Calls the silo's routing table could not decide from memory (a number, agent or trunk not yet known or expired)");
        invalidationDuration = meter.CreateHistogram<double>("convocore.routing.invalidation.duration", "ms",
            "How long a number, agent or trunk change waited for every silo's routing table to forget the old answer");
        recordsDropped = meter.CreateCounter<long>("convocore.calls.records.dropped", "{record}",
            "Call records the recorder could not keep, by reason: queue_full (Redis slower than the calls for long) or stopped (recorded after the silo's recorder finished)");
        hookRequests = meter.CreateCounter<long>("convocore.routing_hook.requests", "{request}",
            "Requests to workspaces' routing hooks, by outcome: answered (a JSON answer we could read), timeout, error (no answer or not 2xx), invalid (an answer we could not use)");
        hookDuration = meter.CreateHistogram<double>("convocore.routing_hook.duration", "ms",
            "How long a routing hook took to answer (or until its timeout): added to our own time for the calls of hooked numbers");
    }

    /// <summary>One request to a workspace's routing hook, by outcome (answered, timeout, error, invalid).</summary>
    public void HookAnswered(long startedTimestamp, string outcome)
    {
        var tags = new TagList { { "outcome", outcome } };
        hookRequests.Add(1, tags);
        hookDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds, tags);
    }

    public void RecordDropped(string reason) => recordsDropped.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>The recorder's backlog, read when metrics are collected, so the call path pays nothing for it.</summary>
    public void ObserveRecordsQueued(Func<int> queued) =>
        meter.CreateObservableUpDownCounter("convocore.calls.records.queued", () => (long)queued(), "{record}",
            "Call records waiting for the recorder to write them to Redis");

    public void TableMissed() => tableMisses.Add(1);

    public void Invalidated(long startedTimestamp, string kind) =>
        invalidationDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds, new TagList { { "kind", kind } });

    public void Routed(long startedTimestamp, string outcome, string region, string server)
    {
        var tags = new TagList { { "outcome", outcome }, { "region", region }, { "server", server } };
        routingDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds, tags);
        calls.Add(1, tags);
        var where = new TagList { { "region", region }, { "server", server } };
        started.Add(1, where);
        if (outcome == "routed") routed.Add(1, where);
        else if (outcome == "fallback") { }
        else
        {
            where.Add("reason", outcome);
            failed.Add(1, where);
        }
    }

    public void Ended(CallRecord call)
    {
        if (call.DurationSeconds is not { } seconds) return;
        callDuration.Record(seconds, new TagList
        {
            { "outcome", CallOutcomes.Name(call.Outcome) }, { "region", call.Region }, { "server", call.Server },
        });
    }
}
