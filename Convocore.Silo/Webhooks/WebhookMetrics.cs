using System.Diagnostics.Metrics;

namespace Convocore.Silo.Webhooks;

/// <summary>Meter <c>Convocore.Webhooks</c>; tags are bounded (the result), never a URL or a workspace.</summary>
internal sealed class WebhookMetrics
{
    public const string MeterName = "Convocore.Webhooks";

    private readonly Counter<long> queued;
    private readonly Counter<long> attempts;
    private readonly Histogram<double> delay;

    public WebhookMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        queued = meter.CreateCounter<long>("convocore.webhooks.events", description: "Events queued for a webhook (a copy read again is not counted)");
        attempts = meter.CreateCounter<long>("convocore.webhooks.attempts",
            description: "Delivery attempts, by result: delivered, retry (to be tried again), failed (given up), dropped (its webhook was removed)");
        delay = meter.CreateHistogram<double>("convocore.webhooks.delivery.delay", unit: "ms",
            description: "From the event to its receiver's 2xx answer");
    }

    public void Queued(long count) => queued.Add(count);

    public void Attempted(string result) => attempts.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Delivered(TimeSpan sinceEvent) => delay.Record(sinceEvent.TotalMilliseconds);
}
