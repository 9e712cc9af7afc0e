using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using Convocore.Contracts.Webhooks;
using Convocore.Silo.Outbound;
using Microsoft.Extensions.Options;

namespace Convocore.Silo.Webhooks;

/// <summary>
/// Sends what the delivery queue says is due, on every silo, at most <see cref="WebhookOptions.Concurrency"/> requests at
/// a time, each signed (<see cref="OutboundSignature"/>) and through <see cref="OutboundHttp"/>. A 2xx answer delivers;
/// a timeout, a refused connection or any other answer is tried again after a pause that doubles from
/// <see cref="WebhookOptions.FirstRetryDelay"/> up to <see cref="WebhookOptions.MaxRetryDelay"/> (a random half of it
/// added, so that a receiver coming back is not hit by every retry at once), until <see cref="WebhookOptions.GiveUpAfter"/>.
/// A silo that dies mid-attempt leaves the delivery leased; another takes it when the lease ends. One webhook has at most
/// <see cref="WebhookOptions.ConcurrencyPerWebhook"/> requests in flight per silo, and a claim leaves a webhook at that
/// limit alone, so that a slow receiver slows only itself.
/// </summary>
internal sealed class WebhookSender(
    DeliveryStore store,
    OutboundHttp http,
    WebhookMetrics metrics,
    IGrainFactory grains,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<WebhookSender> logger) : BackgroundService
{
    public const string EventIdHeader = "Convocore-Event-Id";

    private readonly WebhookOptions settings = options.Value;
    private static readonly TimeSpan Deferral = TimeSpan.FromMilliseconds(500);

    private readonly SemaphoreSlim wake = new(0, 1);
    private readonly Dictionary<string, int> inFlightPerWebhook = [];
    private SemaphoreSlim slots = null!;

    /// <summary>Something may be due now: the sender looks at once instead of at its next poll.</summary>
    public void Wake()
    {
        try
        {
            if (wake.CurrentCount == 0) wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        slots = new SemaphoreSlim(settings.Concurrency, settings.Concurrency);
        var failures = new FailureStreak(logger, "Sending webhooks", TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (slots.CurrentCount == 0)
                {
                    await slots.WaitAsync(stoppingToken);
                    slots.Release();
                    continue;
                }
                var claimed = await store.Claim(settings.ConcurrencyPerWebhook, BusyWebhooks());
                if (claimed.Count > 0)
                {
                    var workspaces = claimed.Select(c => c.WorkspaceId).Distinct().ToArray();
                    var targets = (await Task.WhenAll(workspaces.Select(w => grains.GetGrain<IWebhooksGrain>(w).Targets())))
                        .SelectMany(t => t).ToDictionary(t => t.Id);
                    var deferred = new List<Task>();
                    foreach (var claim in claimed)
                    {
                        if (!TakeWebhookSlot(claim))
                        {
                            deferred.Add(store.Defer(claim, Deferral));
                            continue;
                        }
                        await slots.WaitAsync(stoppingToken);
                        _ = Attempt(claim, targets.GetValueOrDefault(claim.WebhookId), stoppingToken);
                    }
                    await Task.WhenAll(deferred);
                }
                failures.Succeeded();
                if (claimed.Count == 0)
                    await ((Task)wake.WaitAsync(settings.PollInterval, stoppingToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // What was claimed and not sent is taken again when its lease ends.
                await failures.PauseAfter(ex, stoppingToken);
            }
        }
    }

    private async Task Attempt(ClaimedDelivery claim, WebhookTarget? target, CancellationToken stoppingToken)
    {
        try
        {
            var delivery = await store.Read(claim.WebhookId, claim.EventId);
            if (target is null || delivery is null)
            {
                metrics.Attempted("dropped");
                if (await store.Drop(claim, delivery?.OrderKey)) Wake();
                return;
            }
            if (delivery.State != "pending")
            {
                if (await store.Skip(claim, delivery)) Wake();
                return;
            }
            var (status, error) = await Send(target, delivery, stoppingToken);
            var attempts = delivery.Attempts + 1;
            var now = clock.GetUtcNow();
            bool next;
            if (status is >= 200 and < 300)
            {
                metrics.Attempted("delivered");
                metrics.Delivered(now - delivery.CreatedAt);
                next = await store.Finish(claim, delivery, attempts, status, null, delivered: true);
            }
            else if (now - delivery.CreatedAt >= settings.GiveUpAfter)
            {
                metrics.Attempted("failed");
                logger.LogWarning("Gave up delivering event {EventId} ({Type}) to webhook {WebhookId} after {Attempts} attempts",
                    delivery.EventId, delivery.Type, target.Id, attempts);
                next = await store.Finish(claim, delivery, attempts, status, error, delivered: false);
            }
            else
            {
                metrics.Attempted("retry");
                var at = now + Backoff(attempts);
                var deadline = delivery.CreatedAt + settings.GiveUpAfter;
                await store.Retry(claim, delivery, attempts, status, error, at < deadline ? at : deadline);
                next = false;
            }
            if (next) Wake();
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // The silo stops: the lease runs out and another silo sends it.
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Delivering event {EventId} to webhook {WebhookId} could not be recorded; it is tried again when its lease ends",
                claim.EventId, claim.WebhookId);
        }
        finally
        {
            ReleaseWebhookSlot(claim);
            slots.Release();
        }
    }

    private static string WebhookOf(ClaimedDelivery claim) => claim.WorkspaceId + "|" + claim.WebhookId;

    private bool TakeWebhookSlot(ClaimedDelivery claim)
    {
        lock (inFlightPerWebhook)
        {
            var count = inFlightPerWebhook.GetValueOrDefault(WebhookOf(claim));
            if (count >= settings.ConcurrencyPerWebhook) return false;
            inFlightPerWebhook[WebhookOf(claim)] = count + 1;
            return true;
        }
    }

    private void ReleaseWebhookSlot(ClaimedDelivery claim)
    {
        lock (inFlightPerWebhook)
        {
            if (--CollectionsMarshal.GetValueRefOrNullRef(inFlightPerWebhook, WebhookOf(claim)) == 0) inFlightPerWebhook.Remove(WebhookOf(claim));
        }
    }

    /// <summary>The webhooks (workspace|webhook) this silo sends to as much as it may: the next claim leaves them alone.</summary>
    private List<string> BusyWebhooks()
    {
        lock (inFlightPerWebhook)
            return inFlightPerWebhook.Where(w => w.Value >= settings.ConcurrencyPerWebhook).Select(w => w.Key).ToList();
    }

    /// <summary>The HTTP status, or the reason there was none.</summary>
    private async Task<(int? Status, string? Error)> Send(WebhookTarget target, StoredDelivery delivery, CancellationToken stoppingToken)
    {
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.Add(EventIdHeader, delivery.EventId);
        request.Headers.Add(OutboundSignature.Header, OutboundSignature.Sign(target.Secret, clock.GetUtcNow().ToUnixTimeSeconds(), body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            using var response = await http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (null, "timeout");
        }
        catch (HttpRequestException ex) when (ex is OutboundRefusedException || ex.InnerException is OutboundRefusedException)
        {
            return (null, "refused: the URL's address is a loopback, private, link-local or metadata address");
        }
        catch (HttpRequestException ex)
        {
            return (null, "connection failed: " + ex.HttpRequestError switch
            {
                HttpRequestError.NameResolutionError => "the host name does not resolve",
                HttpRequestError.ConnectionError => "no connection",
                HttpRequestError.SecureConnectionError => "TLS failed",
                _ => "the connection broke",
            });
        }
    }

    private TimeSpan Backoff(int attempts)
    {
        var doubled = settings.FirstRetryDelay * Math.Pow(2, Math.Min(attempts - 1, 30));
        var capped = doubled < settings.MaxRetryDelay ? doubled : settings.MaxRetryDelay;
        return capped / 2 + capped / 2 * Random.Shared.NextDouble();
    }
}
