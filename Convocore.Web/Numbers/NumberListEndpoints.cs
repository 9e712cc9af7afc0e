using System.Security.Claims;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Web.Api;

namespace Convocore.Web.Numbers;

internal static class NumberListEndpoints
{
    private const int DefaultPageSize = 100;
    public const int MaxSearchLength = 64;
    public const string InvalidAgentId = "agentId must be an id this API gave out: lowercase letters and digits";
    public const string InvalidTrunkId = "trunkId must be an id this API gave out: lowercase letters and digits";
    public static readonly string SearchTooLong = $"search must be at most {MaxSearchLength} characters";

    public static void MapNumberListEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/numbers", async (string? search, string? agentId, string? trunkId, string? cursor, string? limit,
                ClaimsPrincipal user, IClusterClient cluster) =>
            {
                if (search is { Length: > MaxSearchLength }) return Problems.Invalid(SearchTooLong);
                if (agentId is not null && !Ids.IsWellFormed(agentId)) return Problems.Invalid(InvalidAgentId);
                if (trunkId is not null && !Ids.IsWellFormed(trunkId)) return Problems.Invalid(InvalidTrunkId);
                if (cursor is not null && !E164.IsValid(cursor)) return Problems.Invalid(NumberEndpoints.InvalidCursor);
                if (RequestValues.PageSize(limit, DefaultPageSize, NumberEndpoints.MaxPageSize, out var size) is { } invalid) return invalid;
                var query = new NumberQuery(string.IsNullOrWhiteSpace(search) ? null : search.Trim(), agentId, trunkId, cursor, size);
                var page = await cluster.GetGrain<INumberDirectoryGrain>(0).List(user.WorkspaceId(), query);
                return page.ToResult(p => Results.Ok(new NumberPageResponse(p.Items.Select(NumberEndpoints.ToResponse), p.NextCursor)));
            }).RequireAuthorization(Principals.WorkspacePolicy).WithTags("Phone numbers")
            .Produces<NumberPageResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("Every number of the workspace across its trunks, in E.164 order, a page at a time: pass nextCursor back as cursor")
            .WithDescription("search matches a part of the number's digits or of its agent's title; agentId and trunkId filter. " +
                             "An agent or trunk that is not this workspace's answers 404.");
    }
}
