using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Web.Api;
using Convocore.Web.Trunks;

namespace Convocore.Web.Numbers;

/// <param name="RoutingHook">true: the workspace's routing hook decides each call (agentId is the static agent it falls back to).</param>
internal sealed record AddNumberRequest(string? PhoneNumber, string? AgentId, string? Region, JsonElement? AdditionalParams, FallbackResponse? Fallback,
    bool? RoutingHook);

/// <summary>The body of PUT: agentId and additionalParams (null for none); fallback null or left out for none; routingHook left out for false.</summary>
internal sealed record NumberReplacement([property: JsonRequired] string AgentId, [property: JsonRequired] JsonElement? AdditionalParams, FallbackResponse? Fallback,
    bool? RoutingHook);

/// <summary>The body of PATCH: the fields to change.</summary>
internal sealed record NumberPatch(string? AgentId, JsonElement? AdditionalParams, FallbackResponse? Fallback, bool? RoutingHook);

internal sealed record NumberResponse(string PhoneNumber, string TrunkId, string AgentId, string? AgentTitle, Region Region,
    JsonElement? AdditionalParams, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, FallbackResponse? Fallback, bool RoutingHook);
internal sealed record NumberPageResponse(IEnumerable<NumberResponse> Items, string? NextCursor);

internal static class NumberEndpoints
{
    private const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;
    public const string InvalidCursor = "cursor is not a cursor this list gave out";
    private const string InvalidPhoneNumberType = "phoneNumber must be a string in E.164, such as +15551234567";
    private const string InvalidAgentIdType = "agentId must be a string";
    private static readonly string[] ChangeableFields = ["agentId", "additionalParams", "fallback", "routingHook"];

    public static void MapNumberEndpoints(this IEndpointRouteBuilder app)
    {
        var numbers = app.MapGroup("/api/trunks/{trunkId}/numbers").RequireAuthorization(Principals.WorkspacePolicy).WithTags("Phone numbers");

        numbers.MapGet("/", async (string trunkId, string? cursor, string? limit, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (RequestValues.PageSize(limit, DefaultPageSize, MaxPageSize, out var size) is { } invalid) return invalid;
            // The cursor is the last number of the page before.
            if (cursor is not null && !E164.IsValid(cursor)) return Problems.Invalid(InvalidCursor);
            var page = await cluster.GetGrain<ITrunkGrain>(Ids.Scoped(user.WorkspaceId(), trunkId)).ListNumbers(cursor, size);
            return page is null
                ? Problems.NotFound(NumberRules.TrunkNotFound)
                : Results.Ok(new NumberPageResponse(page.Items.Select(ToResponse), page.NextCursor));
        }).Produces<NumberPageResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("The trunk's numbers in E.164 order, a page at a time: pass nextCursor back as cursor");

        numbers.MapPost("/", async (string trunkId, HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var fields = new BodyFields(body.Body!);
            var phoneNumber = fields.String("phoneNumber", InvalidPhoneNumberType);
            var agentId = fields.String("agentId", InvalidAgentIdType);
            var regionText = fields.String("region", TrunkEndpoints.InvalidRegion);
            var additionalParams = fields.Any("additionalParams");
            var fallback = FallbackBody.Read(fields.Any("fallback"));
            var routingHook = fields.Bool("routingHook");
            if (fields.Failure is { } invalid) return Problems.From(invalid);
            if (fallback.Failure is { } invalidFallback) return Problems.From(invalidFallback);
            Region? region = null;
            if (regionText is not null)
            {
                if (!Regions.TryParse(regionText, out var parsed)) return Problems.Invalid(TrunkEndpoints.InvalidRegion);
                region = parsed;
            }
            var command = new AddNumber(trunkId, phoneNumber, agentId, region, additionalParams is null ? null : RequestBodies.StoredText(additionalParams),
                fallback.Value, routingHook ?? false);
            var outcome = await cluster.Workspace(user).AddNumber(command);
            return outcome.ToResult(number => Results.Created($"/api/trunks/{trunkId}/numbers/{Uri.EscapeDataString(number.PhoneNumber)}", ToResponse(number)));
        }).DocumentBody<AddNumberRequest>(RequestBodies.Json).Produces<NumberResponse>(StatusCodes.Status201Created).ProducesBodyProblems()
            .ProducesProblems(StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Add a phone number (E.164) to a trunk and assign the agent that answers it");

        numbers.MapGet("/{phoneNumber}", async (string trunkId, string phoneNumber, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var workspaceId = user.WorkspaceId();
            if (await cluster.GetGrain<ITrunkGrain>(Ids.Scoped(workspaceId, trunkId)).Get() is null) return Problems.NotFound(NumberRules.TrunkNotFound);
            if (await cluster.GetGrain<IPhoneNumberGrain>(phoneNumber).GetAssignment() is not { } a
                || a.WorkspaceId != workspaceId || a.TrunkId != trunkId)
                return Problems.NotFound(NumberRules.NumberNotFound);
            var agent = await cluster.GetGrain<IAgentGrain>(Ids.Scoped(workspaceId, a.AgentId)).Get();
            return Results.Ok(ToResponse(new NumberInfo(phoneNumber, trunkId, a.AgentId, agent?.Title, a.Region, a.AdditionalParamsJson, a.CreatedAt, a.UpdatedAt, a.Fallback, a.RoutingHook)));
        }).Produces<NumberResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("One number of the trunk: the agent that answers it, its region and additionalParams");

        numbers.MapPut("/{phoneNumber}", async (string trunkId, string phoneNumber, HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var settings = Read(body.Body!, complete: true);
            if (settings.Failure is { } invalid) return Problems.From(invalid);
            var command = new ReassignNumber(trunkId, phoneNumber, settings.Value!.AgentId, settings.Value.AdditionalParamsJson, Fallback: settings.Value.Fallback,
                RoutingHook: settings.Value.RoutingHook);
            return (await cluster.Workspace(user).ReassignNumber(command)).ToResult(number => Results.Ok(ToResponse(number)));
        }).DocumentBody<NumberReplacement>(RequestBodies.Json).Produces<NumberResponse>().ProducesBodyProblems().ProducesProblems(StatusCodes.Status404NotFound)
            .WithSummary("Replace a number's settings: agentId and additionalParams are both required (additionalParams may be null for none)")
            .WithDescription("The number keeps its id and history; the next call goes to the agent given. To change one field only, use PATCH.");

        numbers.MapPatch("/{phoneNumber}", async (string trunkId, string phoneNumber, HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.MergePatch);
            if (body.Problem is { } problem) return problem;
            var patch = new BodyFields(body.Body!);
            patch.OnlyThese(ChangeableFields);
            patch.NotNull("agentId");
            if (patch.Failure is { } invalid) return Problems.From(invalid);
            var workspaceId = user.WorkspaceId();
            // A fallback given is taken whole: merged member by member, one of another type would keep the old target's member.
            var replacesFallback = body.Body!["fallback"] is not null;
            // The same answer as PUT and the workspace give: the trunk first, then the number.
            if (await cluster.GetGrain<ITrunkGrain>(Ids.Scoped(workspaceId, trunkId)).Get() is null) return Problems.NotFound(NumberRules.TrunkNotFound);
            return await Edits.Patch<NumberSettings, NumberInfo>(body.Body!, NumberRules.NumberNotFound,
                current: async () => await cluster.GetGrain<IPhoneNumberGrain>(phoneNumber).GetAssignment() is { } a
                                     && a.WorkspaceId == workspaceId && a.TrunkId == trunkId
                    ? new NumberSettings(a.AgentId, a.AdditionalParamsJson, a.Fallback, a.RoutingHook)
                    : null,
                represent: settings => Represent(settings, withFallback: !replacesFallback),
                read: patched => Read(patched, complete: false),
                write: (stored, settings) => cluster.Workspace(user).ReassignNumber(
                    new ReassignNumber(trunkId, phoneNumber, settings.AgentId, settings.AdditionalParamsJson, stored, settings.Fallback, settings.RoutingHook)),
                onSuccess: number => Results.Ok(ToResponse(number)));
        }).DocumentBody<NumberPatch>(RequestBodies.MergePatch).Produces<NumberResponse>().ProducesBodyProblems()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Change a number's agent, additionalParams or fallback (JSON Merge Patch, RFC 7396): only the fields named change")
            .WithDescription("Content-Type: application/merge-patch+json. {\"agentId\": \"…\"} reassigns it in place; additionalParams merges " +
                             "member by member (a member set to null is removed); \"additionalParams\": null removes them all. agentId cannot be null. " +
                             "fallback is replaced whole by the object given ({\"type\":\"agent\",\"agentId\":\"…\"}, {\"type\":\"number\",\"phoneNumber\":\"+E164\"} " +
                             "or {\"type\":\"sip\",\"uri\":\"sip:user@host\"}); \"fallback\": null removes it. routingHook true or false turns the workspace's routing hook on or off for the number.");

        numbers.MapDelete("/{phoneNumber}", async (string trunkId, string phoneNumber, ClaimsPrincipal user, IClusterClient cluster) =>
            (await cluster.Workspace(user).DeleteNumber(trunkId, phoneNumber)).ToResult(_ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("Delete a number; the next call to it is rejected as unallocated");
    }

    /// <param name="complete">PUT: both fields must be there.</param>
    private static Outcome<NumberSettings> Read(JsonObject body, bool complete)
    {
        var fields = new BodyFields(body);
        var agentId = fields.String("agentId", InvalidAgentIdType, missing: complete ? NumberRules.AgentRequired : null);
        var additionalParams = fields.Any("additionalParams",
            missing: complete ? "additionalParams is required: a JSON object, or null for none" : null, nullAllowed: true);
        // PUT: a fallback left out is none, as null is (it came after agentId and additionalParams, which PUT requires).
        var fallback = fields.Any("fallback", nullAllowed: true);
        var routingHook = fields.Bool("routingHook");
        if (fields.Failure is { } failure) return failure;
        var readFallback = FallbackBody.Read(fallback);
        if (readFallback.Failure is { } invalidFallback) return invalidFallback;
        return new NumberSettings(agentId!, additionalParams is null ? null : RequestBodies.StoredText(additionalParams), readFallback.Value,
            routingHook ?? false);
    }

    /// <summary>The number's settings as the document a merge patch applies to: no params, no member.</summary>
    private static JsonObject Represent(NumberSettings settings, bool withFallback)
    {
        var document = new JsonObject { ["agentId"] = settings.AgentId };
        if (settings.AdditionalParamsJson is not null) document["additionalParams"] = JsonNode.Parse(settings.AdditionalParamsJson);
        if (withFallback && settings.Fallback is { } fallback) document["fallback"] = FallbackBody.ToJson(fallback);
        if (settings.RoutingHook) document["routingHook"] = true;
        return document;
    }

    public static NumberResponse ToResponse(NumberInfo n) => new(n.PhoneNumber, n.TrunkId, n.AgentId, n.AgentTitle, n.Region,
        n.AdditionalParamsJson is null ? null : JsonDocument.Parse(n.AdditionalParamsJson).RootElement.Clone(), n.CreatedAt, n.UpdatedAt,
        FallbackBody.ToResponse(n.Fallback), n.RoutingHook);
}
