using System.Security.Claims;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Routing;
using Convocore.Web.Api;

namespace Convocore.Web.Numbers;

internal sealed record RouteCheckTrunkResponse(string Id, string Name, bool Active);
internal sealed record RouteCheckAgentResponse(string Id, string? Title, bool CanTakeCalls, string? Reason);
internal sealed record RouteCheckAsteriskResponse(string Name, string State);
internal sealed record RouteCheckProblemResponse(string Code, string Message);

/// <param name="Used">Whether a call would go to the fallback now.</param>
/// <param name="Reason">Why it would (agent_not_voice_enabled, agent_voice_invalid, agent_not_found); null when not used.</param>
/// <param name="AgentTitle">An agent fallback's title.</param>
/// <param name="AgentCanTakeCalls">An agent fallback: whether it can take calls (if not, the call is refused).</param>
internal sealed record RouteCheckFallbackResponse(FallbackResponse Destination, bool Used, string? Reason, string? AgentTitle, bool? AgentCanTakeCalls);

/// <param name="Outcome">routed, fallback (its agent cannot take the call: it goes to the number's fallback) or rejected</param>
/// <param name="HangupCause">The Asterisk reason a call would be hung up with (unallocated, rejected, normal_unspecified); null when routed.</param>
internal sealed record RouteCheckResponse(string Dialed, string? PhoneNumber, bool Configured, RouteCheckTrunkResponse? Trunk,
    RouteCheckAgentResponse? Agent, string? Region, RouteCheckAsteriskResponse? AsteriskServer, string Outcome, string? HangupCause,
    IEnumerable<RouteCheckProblemResponse> Problems, RouteCheckFallbackResponse? Fallback, RouteCheckHookResponse? RoutingHook);

/// <param name="Url">The workspace's routing hook, which decides each call to the number (the check does not call it); null when it has none.</param>
internal sealed record RouteCheckHookResponse(string? Url);

internal static class RouteCheckEndpoints
{
    public const string NumberRequired = "number is required: the number as a caller's provider would send it, e.g. +15551234567 or 5551234567";
    public const int MaxNumberLength = 64;
    public static readonly string NumberTooLong = $"number must be at most {MaxNumberLength} characters";
    public const string InvalidTrunkId = "trunkId must be an id this API gave out: lowercase letters and digits";

    public static void MapRouteCheckEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/route-check", async (string? number, string? trunkId, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (string.IsNullOrWhiteSpace(number)) return Problems.Invalid(NumberRequired);
            if (number.Length > MaxNumberLength) return Problems.Invalid(NumberTooLong);
            if (trunkId is { Length: 0 }) trunkId = null;
            if (trunkId is not null && !Ids.IsWellFormed(trunkId)) return Problems.Invalid(InvalidTrunkId);
            var check = await cluster.GetGrain<IRouteCheckGrain>(0).Check(user.WorkspaceId(), number, trunkId);
            return check is null ? Problems.NotFound(NumberRules.TrunkNotFound) : Results.Ok(ToResponse(check));
        }).RequireAuthorization(Principals.WorkspacePolicy).WithTags("Phone numbers")
            .Produces<RouteCheckResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("What a call to a number, as dialled, would meet now: routed to its agent or rejected, with the hangup cause and the problems in the way")
            .WithDescription("Decided by the call path's own routing table. trunkId names the SIP provider the call would come in on (its default " +
                             "country reads national numbers; a number of another SIP provider is refused). Another workspace's number reads as not configured. " +
                             "outcome fallback: the agent cannot take the call and it goes to the number's fallback (fallback.reason says why). " +
                             "Problem codes: not_e164, not_configured, agent_not_voice_enabled, agent_voice_invalid, agent_not_found, trunk_inactive, trunk_mismatch, no_asterisk, fallback_agent_unavailable, routing_hook_missing. " +
                             "A number with routingHook: routingHook.url names the hook that decides its calls (not called here); the outcome is its own agent's, " +
                             "where calls go when the hook gives no usable answer.");
    }

    private static RouteCheckResponse ToResponse(RouteCheck c) => new(c.Dialed, c.PhoneNumber, c.Configured,
        c.Trunk is { } t ? new RouteCheckTrunkResponse(t.Id, t.Name, t.Active) : null,
        c.Agent is { } a ? new RouteCheckAgentResponse(a.Id, a.Title, a.CanTakeCalls, a.Reason) : null,
        c.Region,
        c.AsteriskServer is { } s ? new RouteCheckAsteriskResponse(s.Name, s.State.ToString()) : null,
        c.Outcome, c.HangupCause, c.Problems.Select(p => new RouteCheckProblemResponse(p.Code, p.Message)),
        c.Fallback is { } f ? new RouteCheckFallbackResponse(FallbackBody.ToResponse(f.Destination)!, f.Used, f.Reason, f.AgentTitle, f.AgentCanTakeCalls) : null,
        c.RoutingHook is { } h ? new RouteCheckHookResponse(h.Url) : null);
}
