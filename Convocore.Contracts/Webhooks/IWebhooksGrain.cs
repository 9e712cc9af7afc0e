using Convocore.Contracts.Common;
using Orleans.Concurrency;

namespace Convocore.Contracts.Webhooks;

/// <summary>The call-event webhooks of one workspace (keyed by the workspace id), and their deliveries.</summary>
[Alias("convocore.webhooks")]
public interface IWebhooksGrain : IGrainWithStringKey, Audit.IAuditedGrain
{
    /// <summary>Registers a receiver; the answer holds its signing secret, which is never given out again.</summary>
    Task<Outcome<CreatedWebhook>> Add(string? url, IReadOnlyList<string>? events);

    [ReadOnly]
    Task<IReadOnlyList<WebhookInfo>> List();

    Task<Outcome<Done>> Remove(string webhookId);

    /// <summary>The latest deliveries of a webhook, newest first.</summary>
    [ReadOnly]
    Task<Outcome<IReadOnlyList<DeliveryInfo>>> Deliveries(string webhookId, int limit);

    /// <summary>Sends an event again (after the call's earlier events still waiting for this receiver).</summary>
    Task<Outcome<DeliveryInfo>> Redeliver(string webhookId, string eventId);

    /// <summary>Where and how to send: for the silo's sender only, secrets included.</summary>
    [ReadOnly]
    Task<IReadOnlyList<WebhookTarget>> Targets();

    /// <summary>
    /// Sets the workspace's routing hook. A new hook gets a new secret (in the answer, never again); changing the url or
    /// timeout of the hook keeps its secret (the answer holds none).
    /// </summary>
    Task<Outcome<RoutingHookSet>> SetRoutingHook(string? url, int? timeoutMs);

    [ReadOnly]
    Task<RoutingHookInfo?> GetRoutingHook();

    Task<Outcome<Done>> RemoveRoutingHook();

    /// <summary>The hook as the call path needs it, secret included: for the silo's routing table only.</summary>
    [ReadOnly]
    Task<RoutingHookTarget?> RoutingHookTarget();
}

[GenerateSerializer, Immutable, Alias("convocore.routing-hook-info")]
public sealed record RoutingHookInfo([property: Id(0)] string Url, [property: Id(1)] int TimeoutMs);

/// <param name="Secret">The signing secret when this call created it; null when it kept the hook's own.</param>
[GenerateSerializer, Immutable, Alias("convocore.routing-hook-set")]
public sealed record RoutingHookSet([property: Id(0)] RoutingHookInfo Hook, [property: Id(1)] string? Secret);

[GenerateSerializer, Immutable, Alias("convocore.routing-hook-target")]
public sealed record RoutingHookTarget(
    [property: Id(0)] string Url,
    [property: Id(1)] int TimeoutMs,
    [property: Id(2)] string Secret);

public static class RoutingHookRules
{
    public const int MinTimeoutMs = 100;
    public const int MaxTimeoutMs = 3000;
    public const int DefaultTimeoutMs = 1500;
    public const int MaxVariables = 20;
    public const int MaxVariableValueLength = 256;
    public const string NotFound = "Routing hook not found: the workspace has none";
    public const string UrlRequired = "url is required: the address that decides where calls go";
    public static readonly string TimeoutOutOfRange = $"timeoutMs must be a whole number from {MinTimeoutMs} to {MaxTimeoutMs}";
}

[GenerateSerializer, Immutable, Alias("convocore.webhook-info")]
public sealed record WebhookInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Url,
    [property: Id(2)] IReadOnlyList<string> Events,
    [property: Id(3)] DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable, Alias("convocore.created-webhook")]
public sealed record CreatedWebhook([property: Id(0)] WebhookInfo Webhook, [property: Id(1)] string Secret);

[GenerateSerializer, Immutable, Alias("convocore.webhook-target")]
public sealed record WebhookTarget(
    [property: Id(0)] string Id,
    [property: Id(1)] string Url,
    [property: Id(2)] string Secret,
    [property: Id(3)] IReadOnlyList<string> Events);

/// <param name="State">pending (to be sent, or being retried), delivered, or failed (given up).</param>
/// <param name="LastStatus">The HTTP status of the last attempt; null before the first or when it got no answer.</param>
/// <param name="LastError">Why the last attempt got no answer (timeout, refused, …), else null.</param>
[GenerateSerializer, Immutable, Alias("convocore.delivery-info")]
public sealed record DeliveryInfo(
    [property: Id(0)] string EventId,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] string State,
    [property: Id(4)] int Attempts,
    [property: Id(5)] int? LastStatus,
    [property: Id(6)] string? LastError,
    [property: Id(7)] DateTimeOffset? NextAttemptAt,
    [property: Id(8)] DateTimeOffset? DeliveredAt);

public static class WebhookRules
{
    public const int MaxPerWorkspace = 10;
    public const int MaxUrlLength = 2048;
    public const int MaxDeliveriesPage = 200;
    public const string NotFound = "Webhook not found";
    public const string DeliveryNotFound = "Delivery not found";
    public const string UrlRequired = "url is required: the address that receives the events";
    public static readonly string UrlTooLong = $"url must be at most {MaxUrlLength} characters";
    public const string UrlNotHttps = "url must be an absolute https URL";
    public const string UrlNotHttp = "url must be an absolute http or https URL";
    public const string UrlWithCredentials = "url must not contain a user name or password";
    public const string UrlPrivate = "url must not point to a loopback, private, link-local or metadata address";
    public static readonly string EventsRequired = $"events must list at least one event type: {string.Join(", ", WebhookEventTypes.All)}";
    public static readonly string LimitReached = $"Webhook limit reached: a workspace may have at most {MaxPerWorkspace} webhooks";

    public static string UnknownEvent(string type) => $"Unknown event type {type}: use {string.Join(", ", WebhookEventTypes.All)}";
}

public static class WebhookEventTypes
{
    public const string CallStarted = "call.started";
    public const string CallRouted = "call.routed";
    public const string CallFailed = "call.failed";
    public const string CallEnded = "call.ended";
    public const string NumberCreated = "number.created";
    public const string NumberUpdated = "number.updated";
    public const string NumberDeleted = "number.deleted";

    public static readonly IReadOnlyList<string> All =
        [CallStarted, CallRouted, CallFailed, CallEnded, NumberCreated, NumberUpdated, NumberDeleted];
}
