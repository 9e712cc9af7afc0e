using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Convocore.Silo.Routing;

/// <summary>
/// Operator metrics of the call path. Tags are bounded: outcome, region and server; never a phone number.
/// </summary>
internal sealed class RoutingMetrics
{
    public const string MeterName = "Convocore.Routing";

    private readonly Histogram<double> routingDuration;
    private readonly Counter<long> calls;

    public RoutingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        routingDuration = meter.CreateHistogram<double>("convocore.routing.duration", "ms",
            "Our own time from StasisStart received to the first ARI command sent");
        calls = meter.CreateCounter<long>("convocore.calls", description: "Calls that reached the Stasis application, by outcome");
    }

    public void Routed(long startedTimestamp, string outcome, string region, string server)
    {
        var tags = new TagList { { "outcome", outcome }, { "region", region }, { "server", server } };
        routingDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds, tags);
        calls.Add(1, tags);
    }
}
