using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Convocore.Contracts.Webhooks;
using Convocore.Web.Api;

namespace Convocore.Web.Webhooks;

/// <param name="Url">Where each call of a number with routingHook is POSTed: https outside Development.</param>
/// <param name="TimeoutMs">How long a call waits for the answer, 100–3000 ms (default 1500); past it the call goes to the number's agent.</param>
internal sealed record RoutingHookRequest(string Url, int? TimeoutMs);

internal sealed record RoutingHookResponse(string Url, int TimeoutMs);

/// <param name="Secret">The signing secret: in the answer that created the hook only (a PUT that changes an existing hook keeps it and leaves this out).</param>
internal sealed record RoutingHookSetResponse(string Url, int TimeoutMs, string? Secret);

internal static class RoutingHookEndpoints
{
    public static void MapRoutingHookEndpoints(this IEndpointRouteBuilder app)
    {
        var hook = app.MapGroup("/api/workspace/routing-hook").RequireAuthorization(Principals.WorkspacePolicy).WithTags("Routing hook");

        hook.MapPut("/", async (HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var fields = new BodyFields(body.Body!);
            var url = fields.String("url", "url must be a string", missing: RoutingHookRules.UrlRequired);
            var timeout = fields.Any("timeoutMs");
            if (fields.Failure is { } invalid) return Problems.From(invalid);
            int? timeoutMs = null;
            if (timeout is not null)
            {
                if (timeout is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<int>(out var ms))
                    return Problems.Invalid(RoutingHookRules.TimeoutOutOfRange);
                timeoutMs = ms;
            }
            var outcome = await Grain(cluster, user).SetRoutingHook(url, timeoutMs);
            return outcome.ToResult(set => Results.Ok(new RoutingHookSetResponse(set.Hook.Url, set.Hook.TimeoutMs, set.Secret)));
        }).DocumentBody<RoutingHookRequest>(RequestBodies.Json).Produces<RoutingHookSetResponse>().ProducesBodyProblems()
            .WithSummary("Set the workspace's routing hook: it decides the agent of each call to a number with routingHook true")
            .WithDescription("A new hook's answer holds its signing secret, shown this once; changing the url or timeoutMs of the hook keeps " +
                             "its secret (delete and set it again for a new one). Each call is POSTed as {callId, phoneNumber, caller, trunkId, region, " +
                             "agentId, additionalParams} with Convocore-Event-Id and Convocore-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of " +
                             "\"<t>.<body>\" keyed with the secret>. The answer {\"agentId\": \"…\", \"variables\": {\"NAME\": \"value\"}} routes the call " +
                             "(agentId null or left out: the number's agent), {\"reject\": \"busy\"|\"rejected\"} hangs it up; a timeout, an error or an " +
                             "answer that cannot be used sends it to the number's agent, else its fallback.");

        hook.MapGet("/", async (ClaimsPrincipal user, IClusterClient cluster) =>
                await Grain(cluster, user).GetRoutingHook() is { } h
                    ? Results.Ok(new RoutingHookResponse(h.Url, h.TimeoutMs))
                    : Problems.NotFound(RoutingHookRules.NotFound))
            .Produces<RoutingHookResponse>().ProducesProblems(StatusCodes.Status404NotFound)
            .WithSummary("The workspace's routing hook (without its secret)");

        hook.MapDelete("/", async (ClaimsPrincipal user, IClusterClient cluster) =>
                (await Grain(cluster, user).RemoveRoutingHook()).ToResult(_ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status404NotFound)
            .WithSummary("Remove the routing hook: calls to numbers with routingHook go to their own agent");
    }

    private static IWebhooksGrain Grain(IClusterClient cluster, ClaimsPrincipal user) => cluster.GetGrain<IWebhooksGrain>(user.WorkspaceId());
}
