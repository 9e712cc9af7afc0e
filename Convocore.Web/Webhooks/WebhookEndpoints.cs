using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Convocore.Contracts.Webhooks;
using Convocore.Web.Api;

namespace Convocore.Web.Webhooks;

/// <param name="Url">Where the events are POSTed: https outside Development.</param>
/// <param name="Events">Event types: call.started, call.routed, call.failed, call.ended, number.created, number.updated, number.deleted.</param>
internal sealed record WebhookRequest(string Url, IReadOnlyList<string> Events);

internal sealed record WebhookResponse(string Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt);

/// <param name="Secret">The signing secret: shown in this answer only.</param>
internal sealed record CreatedWebhookResponse(string Id, string Url, IReadOnlyList<string> Events, DateTimeOffset CreatedAt, string Secret);

/// <param name="State">pending (to be sent or being retried), delivered, or failed (given up)</param>
internal sealed record DeliveryResponse(string EventId, string Type, DateTimeOffset CreatedAt, string State, int Attempts, int? LastStatus,
    string? LastError, DateTimeOffset? NextAttemptAt, DateTimeOffset? DeliveredAt);

internal static class WebhookEndpoints
{
    public const string EventsNotAList = "events must be a list of event types, e.g. [\"call.ended\"]";
    private const int DefaultDeliveries = 50;

    public static void MapWebhookEndpoints(this IEndpointRouteBuilder app)
    {
        var webhooks = app.MapGroup("/api/webhooks").RequireAuthorization(Principals.WorkspacePolicy).WithTags("Webhooks");

        webhooks.MapPost("/", async (HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var fields = new BodyFields(body.Body!);
            var url = fields.String("url", "url must be a string", missing: WebhookRules.UrlRequired);
            var events = fields.Any("events", missing: WebhookRules.EventsRequired);
            if (fields.Failure is { } invalid) return Problems.From(invalid);
            if (events is not JsonArray list || list.Any(e => e is not JsonValue v || v.GetValueKind() != JsonValueKind.String))
                return Problems.Invalid(EventsNotAList);
            var outcome = await Grain(cluster, user).Add(url, list.Select(e => e!.GetValue<string>()).ToArray());
            return outcome.ToResult(created => Results.Created($"/api/webhooks/{created.Webhook.Id}",
                new CreatedWebhookResponse(created.Webhook.Id, created.Webhook.Url, created.Webhook.Events, created.Webhook.CreatedAt, created.Secret)));
        }).DocumentBody<WebhookRequest>(RequestBodies.Json).Produces<CreatedWebhookResponse>(StatusCodes.Status201Created).ProducesBodyProblems()
            .ProducesProblems(StatusCodes.Status403Forbidden)
            .WithSummary("Register a receiver of call and number events; the answer holds its signing secret, shown this once")
            .WithDescription("Each event is POSTed as {id, type, createdAt, workspaceId, data} with the headers Convocore-Event-Id and " +
                             "Convocore-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with the secret>. " +
                             $"At most {WebhookRules.MaxPerWorkspace} webhooks per workspace.");

        webhooks.MapGet("/", async (ClaimsPrincipal user, IClusterClient cluster) =>
            Results.Ok((await Grain(cluster, user).List()).Select(ToResponse)))
            .Produces<IEnumerable<WebhookResponse>>()
            .WithSummary("The workspace's webhooks (without their secrets)");

        webhooks.MapDelete("/{id}", async (string id, ClaimsPrincipal user, IClusterClient cluster) =>
            (await Grain(cluster, user).Remove(id)).ToResult(_ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("Remove a webhook; events not yet delivered to it are dropped");

        webhooks.MapGet("/{id}/deliveries", async (string id, string? limit, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (RequestValues.PageSize(limit, DefaultDeliveries, WebhookRules.MaxDeliveriesPage, out var size) is { } badLimit) return badLimit;
            return (await Grain(cluster, user).Deliveries(id, size)).ToResult(list => Results.Ok(list.Select(ToResponse)));
        }).Produces<IEnumerable<DeliveryResponse>>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary($"A webhook's latest deliveries, newest first (limit: default {DefaultDeliveries}, at most {WebhookRules.MaxDeliveriesPage})");

        webhooks.MapPost("/{id}/deliveries/{eventId}/redeliver", async (string id, string eventId, ClaimsPrincipal user, IClusterClient cluster) =>
            (await Grain(cluster, user).Redeliver(id, eventId)).ToResult(d => Results.Accepted($"/api/webhooks/{id}/deliveries", ToResponse(d))))
            .Produces<DeliveryResponse>(StatusCodes.Status202Accepted).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("Send an event to the webhook again, after the earlier events of its call still on their way");
    }

    private static IWebhooksGrain Grain(IClusterClient cluster, ClaimsPrincipal user) => cluster.GetGrain<IWebhooksGrain>(user.WorkspaceId());

    private static WebhookResponse ToResponse(WebhookInfo w) => new(w.Id, w.Url, w.Events, w.CreatedAt);

    private static DeliveryResponse ToResponse(DeliveryInfo d) =>
        new(d.EventId, d.Type, d.CreatedAt, d.State, d.Attempts, d.LastStatus, d.LastError, d.NextAttemptAt, d.DeliveredAt);
}
