namespace Convocore.Silo.Analytics;

internal sealed class AnalyticsOptions
{
    public const string Section = "Convocore:Analytics";

    /// <summary>Off only for comparisons (the routing benchmark): calls are still recorded in the stream.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Calls that started longer ago than this are removed from the call log and analytics.</summary>
    public int RetentionDays { get; set; } = 90;

    /// <summary>How often each silo removes calls past retention.</summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an idle ingester waits before asking the stream again.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A record delivered to a consumer and not acknowledged for this long is taken over by another.</summary>
    public TimeSpan ClaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    public int BatchSize { get; set; } = 500;
}
