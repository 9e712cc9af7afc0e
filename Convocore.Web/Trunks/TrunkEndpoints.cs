using System.Security.Claims;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Web.Api;

namespace Convocore.Web.Trunks;

internal sealed record TrunkRequest(string? Name, string? Region, bool? Active, string? DefaultCountry);
internal sealed record TrunkResponse(string Id, string Name, Region Region, bool Active, string? DefaultCountry, int NumberCount);

internal static class TrunkEndpoints
{
    public const string InvalidRegion = "Region must be NA or EU";

    public static void MapTrunkEndpoints(this IEndpointRouteBuilder app)
    {
        var trunks = app.MapGroup("/api/trunks").RequireAuthorization(Principals.WorkspacePolicy).WithTags("SIP providers");

        trunks.MapPost("/", async (TrunkRequest request, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (!Regions.TryParse(request.Region, out var region)) return Problems.Invalid(InvalidRegion);
            var outcome = await cluster.Workspace(user).CreateTrunk(new TrunkDraft(request.Name, region, request.Active ?? true, request.DefaultCountry));
            return outcome.ToResult(trunk => Results.Created($"/api/trunks/{trunk.Id}", ToResponse(trunk)));
        });

        trunks.MapGet("/", async (ClaimsPrincipal user, IClusterClient cluster) =>
            Results.Ok((await cluster.Workspace(user).ListTrunks()).Select(ToResponse)));

        trunks.MapGet("/{trunkId}", async (string trunkId, ClaimsPrincipal user, IClusterClient cluster) =>
            await cluster.GetGrain<ITrunkGrain>(Ids.Scoped(user.WorkspaceId(), trunkId)).Get() is { } trunk
                ? Results.Ok(ToResponse(trunk))
                : Problems.NotFound(NumberRules.TrunkNotFound));

        trunks.MapPut("/{trunkId}", async (string trunkId, TrunkRequest request, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (!Regions.TryParse(request.Region, out var region)) return Problems.Invalid(InvalidRegion);
            var outcome = await cluster.Workspace(user).UpdateTrunk(trunkId, new TrunkDraft(request.Name, region, request.Active ?? true, request.DefaultCountry));
            return outcome.ToResult(trunk => Results.Ok(ToResponse(trunk)));
        }).WithSummary("Edit a SIP provider; set active to false to deactivate it (its numbers then reject calls)");

        trunks.MapDelete("/{trunkId}", async (string trunkId, ClaimsPrincipal user, IClusterClient cluster) =>
            (await cluster.Workspace(user).DeleteTrunk(trunkId)).ToResult(_ => Results.NoContent()))
            .WithSummary("Delete a SIP provider; refused while it still holds numbers");
    }

    private static TrunkResponse ToResponse(TrunkInfo t) => new(t.Id, t.Name, t.Region, t.Active, t.DefaultCountry, t.NumberCount);
}
