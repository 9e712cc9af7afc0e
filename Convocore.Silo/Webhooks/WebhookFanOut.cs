using System.Text.Json;
using Convocore.Contracts.Routing;
using Convocore.Contracts.Webhooks;
using Convocore.Silo.Analytics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Convocore.Silo.Webhooks;

/// <summary>
/// Turns the call records (<c>convocore:calls</c>) and the number changes (<c>convocore:number-events</c>) into deliveries,
/// on every silo, off the call path: the silos are the consumers of the consumer group <c>webhooks</c> of both streams,
/// an entry is acknowledged once its events are queued, and what a dead silo left unacknowledged is taken over after
/// <see cref="WebhookOptions.ClaimAfter"/>. Queuing is idempotent per event, so an entry read twice queues nothing twice.
/// </summary>
internal sealed class WebhookFanOut(
    [FromKeyedServices("redis")] IConnectionMultiplexer redis,
    CallStore calls,
    NumberEvents numbers,
    DeliveryStore store,
    WebhookSender sender,
    WebhookMetrics metrics,
    IGrainFactory grains,
    IOptions<WebhookOptions> options,
    ILogger<WebhookFanOut> logger) : BackgroundService
{
    public const string Group = "webhooks";

    private readonly WebhookOptions settings = options.Value;
    private readonly string consumer = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextClaim = DateTime.UtcNow;
        var groupsReady = false;
        var failures = new FailureStreak(logger, "Queuing webhook events", TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        RedisKey[] streams = [calls.Stream, numbers.Stream];
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var db = redis.GetDatabase();
                if (!groupsReady)
                {
                    foreach (var stream in streams) await EnsureGroup(db, stream);
                    groupsReady = true;
                }
                var full = false;
                foreach (var stream in streams)
                {
                    var entries = await db.StreamReadGroupAsync(stream, Group, consumer, StreamPosition.NewMessages, settings.BatchSize);
                    if (entries.Length > 0) await Process(db, stream, entries);
                    full |= entries.Length == settings.BatchSize;
                }
                if (DateTime.UtcNow >= nextClaim)
                {
                    foreach (var stream in streams) await ClaimAbandoned(db, stream);
                    nextClaim = DateTime.UtcNow + settings.ClaimAfter / 2;
                }
                failures.Succeeded();
                if (!full) await Task.Delay(settings.PollInterval, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // Nothing queued is acknowledged, so nothing is lost; a stream removed (NOGROUP) gets its group again.
                groupsReady = false;
                await failures.PauseAfter(ex, stoppingToken);
            }
        }
    }

    private static async Task EnsureGroup(IDatabase db, RedisKey stream)
    {
        try
        {
            // From now on: the calls of the months before webhooks existed are no one's events.
            await db.StreamCreateConsumerGroupAsync(stream, Group, StreamPosition.NewMessages, createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    private async Task ClaimAbandoned(IDatabase db, RedisKey stream)
    {
        RedisValue start = "0-0";
        do
        {
            var claimed = await db.StreamAutoClaimAsync(stream, Group, consumer, (long)settings.ClaimAfter.TotalMilliseconds, start, settings.BatchSize);
            if (claimed.ClaimedEntries.Length > 0)
            {
                logger.LogInformation("Took over {Count} webhook events another consumer left unacknowledged", claimed.ClaimedEntries.Length);
                await Process(db, stream, claimed.ClaimedEntries);
            }
            start = claimed.NextStartId;
        }
        while (start != "0-0");

        foreach (var gone in await db.StreamConsumerInfoAsync(stream, Group))
        {
            if (gone.Name != consumer && gone.PendingMessageCount == 0 && gone.IdleTimeInMilliseconds > TimeSpan.FromHours(1).TotalMilliseconds)
                await db.StreamDeleteConsumerAsync(stream, Group, gone.Name);
        }
    }

    private async Task Process(IDatabase db, RedisKey stream, StreamEntry[] entries)
    {
        var events = new List<(string WorkspaceId, IReadOnlyList<QueuedEvent> Events)>(entries.Length);
        foreach (var entry in entries)
        {
            if (Read(entry) is { Item2.Count: > 0 } read) events.Add(read);
        }
        var workspaces = events.Select(e => e.WorkspaceId).Distinct().ToArray();
        var targets = (await Task.WhenAll(workspaces.Select(w => grains.GetGrain<IWebhooksGrain>(w).Targets())))
            .Select((t, i) => (workspaces[i], t)).Where(w => w.t.Count > 0).ToDictionary(w => w.Item1, w => w.t);
        var queued = new List<Task<RedisResult>>();
        // In stream order, on one connection: the scripts run in the order they are sent.
        foreach (var (workspaceId, list) in events)
        {
            if (!targets.TryGetValue(workspaceId, out var webhooks)) continue;
            foreach (var webhook in webhooks)
            {
                var wanted = list.Where(e => webhook.Events.Contains(e.Type)).ToArray();
                if (wanted.Length > 0) queued.Add(store.Enqueue(db, workspaceId, webhook.Id, wanted));
            }
        }
        var added = 0L;
        foreach (var result in await Task.WhenAll(queued)) added += (long)result;
        await db.StreamAcknowledgeAsync(stream, Group, entries.Select(e => e.Id).ToArray());
        if (added == 0) return;
        metrics.Queued(added);
        sender.Wake();
    }

    private (string, IReadOnlyList<QueuedEvent>)? Read(StreamEntry entry)
    {
        try
        {
            if (entry["call"] is { IsNull: false } finished) return Call((string)finished!, opened: false);
            if (entry["opened"] is { IsNull: false } opened) return Call((string)opened!, opened: true);
            if (entry["type"] is { IsNull: false } type && entry["ws"] is { IsNull: false } ws && entry["id"] is { IsNull: false } id
                && entry["number"] is { IsNull: false } number && entry["data"] is { IsNull: false } data && entry["at"].TryParse(out long at))
                return (ws!, [WebhookEvents.OfNumber(id!, type!, ws!, number!, DateTimeOffset.FromUnixTimeMilliseconds(at), data!)]);
        }
        catch (JsonException)
        {
        }
        // Acknowledged anyway: an entry that cannot be read would otherwise come back forever.
        logger.LogWarning("Stream entry {Id} cannot be read for webhooks; skipped", entry.Id);
        return null;
    }

    private static (string, IReadOnlyList<QueuedEvent>)? Call(string json, bool opened)
    {
        var call = JsonSerializer.Deserialize(json, CallRecordJsonContext.Default.CallRecord);
        if (call is null) return null;
        // A call to a number of no workspace is no one's event.
        return (call.WorkspaceId ?? "", WebhookEvents.OfCall(call, opened));
    }
}
