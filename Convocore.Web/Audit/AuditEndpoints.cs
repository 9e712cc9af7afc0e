using System.Security.Claims;
using System.Text.Json;
using Convocore.Contracts.Audit;
using Convocore.Web.Api;
using Convocore.Web.Dashboard;

namespace Convocore.Web.Audit;

/// <param name="Actor">The API key id that made the change (also for a dashboard session of that key), or "operator".</param>
/// <param name="Source">api, dashboard, import or operator.</param>
/// <param name="Before">The fields the change altered, as they were (every field for a deletion; null for a creation).</param>
/// <param name="After">Those fields as the change left them (every field for a creation; null for a deletion).</param>
internal sealed record AuditEntryResponse(string Id, DateTimeOffset At, string Actor, string Source, string Action, string TargetType,
    string TargetId, JsonElement? Before, JsonElement? After);

/// <param name="NextCursor">Pass back as cursor for older entries; null when there are none. A page may be short and still have one.</param>
internal sealed record AuditPageResponse(IEnumerable<AuditEntryResponse> Items, string? NextCursor);

internal static class AuditEndpoints
{
    public const string InvalidFrom = "from must be an ISO 8601 date and time, e.g. 2026-11-01T00:00:00Z";
    public const string InvalidTo = "to must be an ISO 8601 date and time, e.g. 2026-11-02T00:00:00Z";
    public const string EmptyRange = "from must be before to";
    public const string InvalidCursor = "cursor is not a cursor this audit log gave out";
    public const string InvalidTarget = "target must be at most 64 characters: an id, a phone number or a target type";
    public const string InvalidActor = "actor must be at most 64 characters: an API key id or operator";

    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/audit", async (string? target, string? actor, string? from, string? to, string? cursor, string? limit,
            ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (RequestValues.PageSize(limit, AuditRules.DefaultPageSize, AuditRules.MaxPageSize, out var size) is { } badLimit) return badLimit;
            DateTimeOffset? start = null, end = null;
            if (from is not null)
            {
                if (!RequestValues.TryParseTime(from, out var parsed)) return Problems.Invalid(InvalidFrom);
                start = parsed;
            }
            if (to is not null)
            {
                if (!RequestValues.TryParseTime(to, out var parsed)) return Problems.Invalid(InvalidTo);
                end = parsed;
            }
            if (start >= end) return Problems.Invalid(EmptyRange);
            if (cursor is not null && !AuditRules.IsCursor(cursor)) return Problems.Invalid(InvalidCursor);
            if (target is { Length: > 64 }) return Problems.Invalid(InvalidTarget);
            if (actor is { Length: > 64 }) return Problems.Invalid(InvalidActor);

            var page = await cluster.GetGrain<IAuditLogGrain>(user.WorkspaceId())
                .Page(new AuditQuery(Blank(target), Blank(actor), start, end, cursor, size));
            return Results.Ok(new AuditPageResponse(page.Items.Select(ToResponse), page.NextCursor));
        }).RequireAuthorization(Principals.WorkspacePolicy).WithTags("Audit log")
            .Produces<AuditPageResponse>().ProducesProblems(StatusCodes.Status400BadRequest)
            .WithSummary($"Every change to the workspace, newest first (limit: default {AuditRules.DefaultPageSize}, at most {AuditRules.MaxPageSize})")
            .WithDescription("Filters: target (an agent, trunk, webhook or API key id, an E.164 number, the workspace id, or a target type: " +
                             "workspace, apiKey, agent, trunk, number, webhook, routingHook), actor (an API key id, or operator), " +
                             "from (inclusive) and to (exclusive), ISO 8601. Secrets never appear in before or after.");
    }

    /// <summary>Who is asking, for the audit entries of whatever the request changes (it travels to the grains with each call).</summary>
    public static IApplicationBuilder UseAuditActor(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var user = context.User;
        if (user.IsInRole(ApiKeyAuthenticationHandler.OperatorRole)) AuditContext.Set(new AuditActor(AuditSources.Operator, AuditSources.Operator));
        else if (user.KeyId() is { } keyId)
            AuditContext.Set(new AuditActor(keyId, user.Identity?.AuthenticationType == DashboardSession.CookieScheme ? AuditSources.Dashboard : AuditSources.Api));
        await next(context);
    });

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static AuditEntryResponse ToResponse(AuditEntry e) =>
        new(e.Id, e.At, e.Actor, e.Source, e.Action, e.TargetType, e.TargetId, Parse(e.BeforeJson), Parse(e.AfterJson));

    private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
}
