using Convocore.Contracts.Audit;
using Convocore.Contracts.Common;
using Convocore.Silo.Audit;
using Convocore.Contracts.Webhooks;
using Convocore.Silo.Outbound;
using Convocore.Silo.Routing;

namespace Convocore.Silo.Webhooks;

[GenerateSerializer, Alias("convocore.webhooks-state")]
internal sealed class WebhooksState
{
    [Id(0)] public List<WebhookRecord> Webhooks { get; set; } = [];
    /// <summary>Audit entries of the last change, written with it (<see cref="AuditOutbox"/>).</summary>
    [Id(1)] public List<AuditEntry> Audit { get; set; } = [];
    /// <summary>The workspace's routing hook (one at most), null when it has none.</summary>
    [Id(2)] public RoutingHookRecord? RoutingHook { get; set; }
}

[GenerateSerializer, Immutable, Alias("convocore.routing-hook-record")]
internal sealed record RoutingHookRecord(
    [property: Id(0)] string Url,
    [property: Id(1)] int TimeoutMs,
    [property: Id(2)] string Secret);

/// <summary>The secret is kept as it is (the sender signs with it); it is only ever given out in the answer that creates it.</summary>
[GenerateSerializer, Immutable, Alias("convocore.webhook-record")]
internal sealed record WebhookRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] string Url,
    [property: Id(2)] IReadOnlyList<string> Events,
    [property: Id(3)] string Secret,
    [property: Id(4)] DateTimeOffset CreatedAt);

/// <summary>A workspace's webhooks (keyed by the workspace id): what to send where; the deliveries are in <see cref="DeliveryStore"/>.</summary>
internal sealed class WebhooksGrain(
    [PersistentState("webhooks")] IPersistentState<WebhooksState> state,
    OutboundTargets targets,
    DeliveryStore deliveries,
    TimeProvider clock,
    AuditLog audit,
    RouteInvalidator routes,
    ILogger<WebhooksGrain> logger) : Grain, IWebhooksGrain
{
    private AuditOutbox outbox = null!;

    private string WorkspaceId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        outbox = new AuditOutbox(audit, WorkspaceId, AuditOutbox.Member(AuditOutboxSweeper.Webhooks, WorkspaceId), logger);
        await outbox.Recover(state.State.Audit);
    }

    public Task FlushAudit() => outbox.Flush(state.State.Audit);

    /// <summary>Puts memory back; a write that timed out may still have landed, so the next activation reads what Redis holds (entries included).</summary>
    private void WriteFailed(Action undo)
    {
        undo();
        DeactivateOnIdle();
    }

    /// <summary>What the log shows of a webhook: never its secret.</summary>
    private static System.Text.Json.Nodes.JsonObject Shown(WebhookRecord w) =>
        new() { ["url"] = w.Url, ["events"] = new System.Text.Json.Nodes.JsonArray(w.Events.Select(e => (System.Text.Json.Nodes.JsonNode?)e).ToArray()) };

    public async Task<Outcome<CreatedWebhook>> Add(string? url, IReadOnlyList<string>? events)
    {
        if (targets.Refusal(url) is { } refusal) return Failure.Invalid(refusal);
        if (events is null || events.Count == 0) return Failure.Invalid(WebhookRules.EventsRequired);
        if (events.FirstOrDefault(e => !WebhookEventTypes.All.Contains(e)) is { } unknown) return Failure.Invalid(WebhookRules.UnknownEvent(unknown));
        if (state.State.Webhooks.Count >= WebhookRules.MaxPerWorkspace) return Failure.Forbidden(WebhookRules.LimitReached);
        var record = new WebhookRecord(Ids.New(), url!, WebhookEventTypes.All.Where(events.Contains).ToArray(), OutboundSignature.NewSecret(),
            clock.GetUtcNow());
        var entry = AuditLog.Entry(AuditActions.WebhookCreated, AuditTargets.Webhook, record.Id, null, Shown(record), outbox.Actor, record.CreatedAt);
        state.State.Webhooks.Add(record);
        await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.Webhooks.Remove(record)));
        return new CreatedWebhook(Info(record), record.Secret);
    }

    public Task<IReadOnlyList<WebhookInfo>> List() =>
        Task.FromResult<IReadOnlyList<WebhookInfo>>(state.State.Webhooks.Select(Info).ToArray());

    public async Task<Outcome<Done>> Remove(string webhookId)
    {
        if (Find(webhookId) is not { } record) return Failure.NotFound(WebhookRules.NotFound);
        var entry = AuditLog.Entry(AuditActions.WebhookDeleted, AuditTargets.Webhook, webhookId, Shown(record), null, outbox.Actor, outbox.Now);
        var at = state.State.Webhooks.IndexOf(record);
        state.State.Webhooks.RemoveAt(at);
        await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.Webhooks.Insert(at, record)));
        await deliveries.Forget(webhookId);
        return Done.Instance;
    }

    public async Task<Outcome<IReadOnlyList<DeliveryInfo>>> Deliveries(string webhookId, int limit)
    {
        if (Find(webhookId) is null) return Failure.NotFound(WebhookRules.NotFound);
        return new Outcome<IReadOnlyList<DeliveryInfo>>(await deliveries.Latest(webhookId, Math.Clamp(limit, 1, WebhookRules.MaxDeliveriesPage)), null);
    }

    public async Task<Outcome<DeliveryInfo>> Redeliver(string webhookId, string eventId)
    {
        if (Find(webhookId) is null) return Failure.NotFound(WebhookRules.NotFound);
        if (!await deliveries.Redeliver(WorkspaceId, webhookId, eventId)) return Failure.NotFound(WebhookRules.DeliveryNotFound);
        return await deliveries.Describe(webhookId, eventId) is { } delivery ? delivery : Failure.NotFound(WebhookRules.DeliveryNotFound);
    }

    public Task<IReadOnlyList<WebhookTarget>> Targets() =>
        Task.FromResult<IReadOnlyList<WebhookTarget>>(state.State.Webhooks.Select(w => new WebhookTarget(w.Id, w.Url, w.Secret, w.Events)).ToArray());

    public async Task<Outcome<RoutingHookSet>> SetRoutingHook(string? url, int? timeoutMs)
    {
        if (targets.Refusal(url) is { } refusal)
            return Failure.Invalid(refusal == WebhookRules.UrlRequired ? RoutingHookRules.UrlRequired : refusal);
        var timeout = timeoutMs ?? RoutingHookRules.DefaultTimeoutMs;
        if (timeout is < RoutingHookRules.MinTimeoutMs or > RoutingHookRules.MaxTimeoutMs) return Failure.Invalid(RoutingHookRules.TimeoutOutOfRange);
        var before = state.State.RoutingHook;
        var keepsSecret = before is not null;
        var record = new RoutingHookRecord(url!, timeout, before?.Secret ?? OutboundSignature.NewSecret());
        if (record == before) return new RoutingHookSet(new RoutingHookInfo(record.Url, record.TimeoutMs), null);
        var entry = AuditLog.Entry(AuditActions.RoutingHookUpdated, AuditTargets.RoutingHook, "routing-hook", Shown(before), Shown(record),
            outbox.Actor, outbox.Now);
        await StoreRoutingHook(record, before, entry);
        return new RoutingHookSet(new RoutingHookInfo(record.Url, record.TimeoutMs), keepsSecret ? null : record.Secret);
    }

    public Task<RoutingHookInfo?> GetRoutingHook() =>
        Task.FromResult(state.State.RoutingHook is { } hook ? new RoutingHookInfo(hook.Url, hook.TimeoutMs) : null);

    public async Task<Outcome<Done>> RemoveRoutingHook()
    {
        if (state.State.RoutingHook is not { } before) return Failure.NotFound(RoutingHookRules.NotFound);
        var entry = AuditLog.Entry(AuditActions.RoutingHookUpdated, AuditTargets.RoutingHook, "routing-hook", Shown(before), null, outbox.Actor, outbox.Now);
        await StoreRoutingHook(null, before, entry);
        return Done.Instance;
    }

    public Task<RoutingHookTarget?> RoutingHookTarget() =>
        Task.FromResult(state.State.RoutingHook is { } hook ? new RoutingHookTarget(hook.Url, hook.TimeoutMs, hook.Secret) : null);

    /// <summary>Stored with its audit entry, then forgotten by every silo's table before the change is acknowledged.</summary>
    private Task StoreRoutingHook(RoutingHookRecord? record, RoutingHookRecord? before, AuditEntry entry) =>
        routes.Store(RoutingTableKind.Hook, WorkspaceId, async () =>
        {
            state.State.RoutingHook = record;
            await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.RoutingHook = before));
        }, () => state.State.RoutingHook = before);

    /// <summary>What the log shows of the hook: never its secret.</summary>
    private static System.Text.Json.Nodes.JsonObject? Shown(RoutingHookRecord? hook) =>
        hook is null ? null : new() { ["url"] = hook.Url, ["timeoutMs"] = hook.TimeoutMs };

    private WebhookRecord? Find(string webhookId) => state.State.Webhooks.Find(w => w.Id == webhookId);

    private static WebhookInfo Info(WebhookRecord w) => new(w.Id, w.Url, w.Events, w.CreatedAt);
}
