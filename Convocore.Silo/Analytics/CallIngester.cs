using System.Diagnostics.Metrics;
using System.Text.Json;
using Convocore.Contracts.Routing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Convocore.Silo.Analytics;

/// <summary>
/// Applies the call records of the stream to the call log, on every silo, off the call path. The silos are the
/// consumers of one Redis consumer group, so each record goes to one of them; a record is acknowledged only once
/// applied, and what a dead consumer left unacknowledged is claimed by a live one after <see cref="AnalyticsOptions.ClaimAfter"/>.
/// Applying is idempotent per call, so a record delivered twice still counts once.
/// </summary>
internal sealed class CallIngester(
    [FromKeyedServices("redis")] IConnectionMultiplexer redis,
    CallStore store,
    CallsEndedSignal callsEnded,
    IOptions<AnalyticsOptions> options,
    IMeterFactory meters,
    ILogger<CallIngester> logger) : BackgroundService
{
    public const string Group = "analytics";
    public const string MeterName = "Convocore.Analytics";

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    private readonly AnalyticsOptions settings = options.Value;
    private readonly string consumer = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    private readonly Counter<long> records = meters.Create(MeterName).CreateCounter<long>("convocore.analytics.records",
        description: "Call records taken from the stream, by result: applied, duplicate (delivered again) or invalid");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Enabled) return;
        var nextClaim = DateTime.UtcNow;
        var groupReady = false;
        var failures = new FailureStreak(logger, "Applying call records", FirstRetry, MaxRetry);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var db = redis.GetDatabase();
                if (!groupReady)
                {
                    await EnsureGroup(db);
                    groupReady = true;
                }
                var entries = await db.StreamReadGroupAsync(store.Stream, Group, consumer, StreamPosition.NewMessages, settings.BatchSize);
                if (entries.Length > 0) await Process(db, entries);
                if (DateTime.UtcNow >= nextClaim)
                {
                    await ClaimAbandoned(db);
                    nextClaim = DateTime.UtcNow + settings.ClaimAfter / 2;
                }
                failures.Succeeded();
                if (entries.Length < settings.BatchSize) await Task.Delay(settings.PollInterval, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // A Redis blip, or the stream was removed (NOGROUP): nothing applied is acknowledged, so nothing is lost.
                groupReady = false;
                await failures.PauseAfter(ex, stoppingToken);
            }
        }
    }

    private async Task EnsureGroup(IDatabase db)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(store.Stream, Group, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    private async Task ClaimAbandoned(IDatabase db)
    {
        RedisValue start = "0-0";
        do
        {
            var claimed = await db.StreamAutoClaimAsync(store.Stream, Group, consumer, (long)settings.ClaimAfter.TotalMilliseconds, start, settings.BatchSize);
            if (claimed.ClaimedEntries.Length > 0)
            {
                logger.LogInformation("Took over {Count} call records another consumer left unacknowledged", claimed.ClaimedEntries.Length);
                await Process(db, claimed.ClaimedEntries);
            }
            start = claimed.NextStartId;
        }
        while (start != "0-0");

        // Each silo start adds a consumer; those of silos long gone, with nothing pending, are only clutter.
        foreach (var gone in await db.StreamConsumerInfoAsync(store.Stream, Group))
        {
            if (gone.Name != consumer && gone.PendingMessageCount == 0 && gone.IdleTimeInMilliseconds > TimeSpan.FromHours(1).TotalMilliseconds)
                await db.StreamDeleteConsumerAsync(store.Stream, Group, gone.Name);
        }
    }

    private async Task Process(IDatabase db, StreamEntry[] entries)
    {
        var calls = new List<(CallRecord, string)>(entries.Length);
        var invalid = 0;
        foreach (var entry in entries)
        {
            // A call handed to its agent, for the webhooks: its finished record follows.
            if (!entry[Routing.CallRecorder.OpenedField].IsNull) continue;
            var json = entry["call"];
            CallRecord? call = null;
            try
            {
                if (!json.IsNull) call = JsonSerializer.Deserialize((string)json!, CallRecordJsonContext.Default.CallRecord);
            }
            catch (JsonException)
            {
            }
            if (call is null)
            {
                // Acknowledged anyway: a record that cannot be read would otherwise come back forever.
                invalid++;
                logger.LogWarning("Call record {Id} cannot be read; skipped", entry.Id);
                continue;
            }
            calls.Add((call, json!));
        }
        var applied = calls.Count == 0 ? 0 : await store.Apply(calls);
        callsEnded.Applied(calls.Select(c => c.Item1));
        await db.StreamAcknowledgeAsync(store.Stream, Group, entries.Select(e => e.Id).ToArray());
        records.Add(applied, new KeyValuePair<string, object?>("result", "applied"));
        if (calls.Count > applied) records.Add(calls.Count - applied, new KeyValuePair<string, object?>("result", "duplicate"));
        if (invalid > 0) records.Add(invalid, new KeyValuePair<string, object?>("result", "invalid"));
    }
}

/// <summary>Enforces retention: every <see cref="AnalyticsOptions.TrimInterval"/>, calls older than the retention go.</summary>
internal sealed class CallRetention(
    CallStore store,
    IOptions<AnalyticsOptions> options,
    [FromKeyedServices(CallRetention.ClockKey)] TimeProvider clock,
    ILogger<CallRetention> logger) : BackgroundService
{
    /// <summary>Its own clock, so a test can move retention's "now" without moving the cluster's.</summary>
    public const string ClockKey = "convocore:analytics";

    public Task<long> TrimOnce() =>
        store.Trim(clock.GetUtcNow() - TimeSpan.FromDays(options.Value.RetentionDays));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        var interval = options.Value.TrimInterval;
        var failures = new FailureStreak(logger, "Removing calls past retention", TimeSpan.FromSeconds(1), interval);
        await failures.RunEvery(interval, async _ =>
        {
            var removed = await TrimOnce();
            if (removed > 0) logger.LogInformation("Removed {Count} calls older than {Days} days", removed, options.Value.RetentionDays);
        }, stoppingToken);
    }
}
