using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Web.Api;

namespace Convocore.Web.Trunks;

/// <summary>The body of POST (active defaults to true, defaultCountry to none).</summary>
internal sealed record TrunkRequest(string? Name, string? Region, bool? Active, string? DefaultCountry);

/// <summary>The body of PUT: every field, defaultCountry null for none.</summary>
internal sealed record TrunkReplacement([property: JsonRequired] string Name, [property: JsonRequired] string Region,
    [property: JsonRequired] bool Active, [property: JsonRequired] string? DefaultCountry);

internal sealed record TrunkResponse(string Id, string Name, Region Region, bool Active, string? DefaultCountry, int NumberCount);

internal static class TrunkEndpoints
{
    public const string InvalidRegion = "Region must be NA or EU";
    private const string InvalidDefaultCountry = "Default country must be a two-letter country code such as US or GB";
    private static readonly string[] ChangeableFields = ["name", "region", "active", "defaultCountry"];

    public static void MapTrunkEndpoints(this IEndpointRouteBuilder app)
    {
        var trunks = app.MapGroup("/api/trunks").RequireAuthorization(Principals.WorkspacePolicy).WithTags("SIP providers");

        trunks.MapPost("/", async (HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var draft = Read(body.Body!, complete: false);
            if (draft.Failure is { } invalid) return Problems.From(invalid);
            var outcome = await cluster.Workspace(user).CreateTrunk(draft.Value!);
            return outcome.ToResult(trunk => Results.Created($"/api/trunks/{trunk.Id}", ToResponse(trunk)));
        }).DocumentBody<TrunkRequest>(RequestBodies.Json).Produces<TrunkResponse>(StatusCodes.Status201Created).ProducesBodyProblems()
            .WithSummary("Create a SIP provider; active defaults to true");

        trunks.MapGet("/", async (ClaimsPrincipal user, IClusterClient cluster) =>
            Results.Ok((await cluster.Workspace(user).ListTrunks()).Select(ToResponse)))
            .Produces<IEnumerable<TrunkResponse>>()
            .WithSummary("The workspace's SIP providers");

        trunks.MapGet("/{trunkId}", async (string trunkId, ClaimsPrincipal user, IClusterClient cluster) =>
            await Trunk(cluster, user, trunkId).Get() is { } trunk
                ? Results.Ok(ToResponse(trunk))
                : Problems.NotFound(NumberRules.TrunkNotFound))
            .Produces<TrunkResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("One SIP provider of the workspace");

        trunks.MapPut("/{trunkId}", async (string trunkId, HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var draft = Read(body.Body!, complete: true);
            if (draft.Failure is { } invalid) return Problems.From(invalid);
            return (await cluster.Workspace(user).UpdateTrunk(trunkId, draft.Value!, null)).ToResult(trunk => Results.Ok(ToResponse(trunk)));
        }).DocumentBody<TrunkReplacement>(RequestBodies.Json).Produces<TrunkResponse>().ProducesBodyProblems().ProducesProblems(StatusCodes.Status404NotFound)
            .WithSummary("Replace a SIP provider: every field is required (defaultCountry may be null for none)")
            .WithDescription("Set active to false to deactivate it (its numbers then reject calls). To change some fields only, use PATCH.");

        trunks.MapPatch("/{trunkId}", async (string trunkId, HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.MergePatch);
            if (body.Problem is { } problem) return problem;
            var patch = new BodyFields(body.Body!);
            patch.OnlyThese(ChangeableFields);
            patch.NotNull("name", "region", "active");
            if (patch.Failure is { } invalid) return Problems.From(invalid);
            var workspace = cluster.Workspace(user);
            return await Edits.Patch<TrunkDraft, TrunkInfo>(body.Body!, NumberRules.TrunkNotFound,
                current: async () => await Trunk(cluster, user, trunkId).Get() is { } t ? new TrunkDraft(t.Name, t.Region, t.Active, t.DefaultCountry) : null,
                represent: Represent,
                read: patched => Read(patched, complete: false),
                write: (stored, draft) => workspace.UpdateTrunk(trunkId, draft, stored),
                onSuccess: trunk => Results.Ok(ToResponse(trunk)));
        }).DocumentBody<TrunkRequest>(RequestBodies.MergePatch).Produces<TrunkResponse>().ProducesBodyProblems()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Change some fields of a SIP provider (JSON Merge Patch, RFC 7396): only the fields named change")
            .WithDescription("Content-Type: application/merge-patch+json. {\"active\": false} deactivates it; \"defaultCountry\": null removes it. " +
                             "name, region and active cannot be null.");

        trunks.MapDelete("/{trunkId}", async (string trunkId, ClaimsPrincipal user, IClusterClient cluster) =>
            (await cluster.Workspace(user).DeleteTrunk(trunkId)).ToResult(_ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Delete a SIP provider; refused while it still holds numbers");
    }

    /// <param name="complete">PUT: every field must be there. Otherwise active defaults to true and defaultCountry to none.</param>
    private static Outcome<TrunkDraft> Read(JsonObject body, bool complete)
    {
        var fields = new BodyFields(body);
        var name = fields.String("name", "name must be a string", missing: complete ? "Name is required" : null);
        var regionText = fields.String("region", InvalidRegion, missing: InvalidRegion);
        var active = fields.Bool("active", missing: complete ? "active is required: true or false" : null);
        var defaultCountry = fields.String("defaultCountry", InvalidDefaultCountry,
            missing: complete ? "defaultCountry is required: a two-letter country code, or null for none" : null, nullAllowed: true);
        if (fields.Failure is { } failure) return failure;
        if (!Regions.TryParse(regionText, out var region)) return Failure.Invalid(InvalidRegion);
        return new TrunkDraft(name, region, active ?? true, defaultCountry);
    }

    /// <summary>The trunk as the document a merge patch applies to: what is not set is absent.</summary>
    private static JsonObject Represent(TrunkDraft trunk)
    {
        var document = new JsonObject { ["name"] = trunk.Name, ["region"] = trunk.Region.ToString(), ["active"] = trunk.Active };
        if (trunk.DefaultCountry is not null) document["defaultCountry"] = trunk.DefaultCountry;
        return document;
    }

    private static ITrunkGrain Trunk(IClusterClient cluster, ClaimsPrincipal user, string trunkId) =>
        cluster.GetGrain<ITrunkGrain>(Ids.Scoped(user.WorkspaceId(), trunkId));

    private static TrunkResponse ToResponse(TrunkInfo t) => new(t.Id, t.Name, t.Region, t.Active, t.DefaultCountry, t.NumberCount);
}
