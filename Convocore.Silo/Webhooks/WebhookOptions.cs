namespace Convocore.Silo.Webhooks;

internal sealed class WebhookOptions
{
    public const string Section = "Convocore:Webhooks";

    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The pause after the first failed attempt; each further one doubles it, up to <see cref="MaxRetryDelay"/>, with jitter.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An event not delivered this long after it happened is given up (after at least one attempt).</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Finished deliveries are kept in the delivery log (and can be redelivered) this long.</summary>
    public TimeSpan LogRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Requests in flight per silo.</summary>
    public int Concurrency { get; set; } = 128;

    /// <summary>Requests in flight per silo to one webhook, so that a slow receiver cannot hold every slot.</summary>
    public int ConcurrencyPerWebhook { get; set; } = 16;

    /// <summary>How long an idle sender or event reader waits before asking Redis again.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Events read from a stream per round trip.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>A stream entry read by a silo that died unacknowledged is taken over after this.</summary>
    public TimeSpan ClaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An attempt whose silo died is made again by another after this (longer than any attempt).</summary>
    public TimeSpan Lease => Timeout + TimeSpan.FromSeconds(20);
}
