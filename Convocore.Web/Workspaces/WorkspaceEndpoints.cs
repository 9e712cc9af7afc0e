using System.Security.Claims;
using Convocore.Contracts.Workspaces;
using Convocore.Web.Api;

namespace Convocore.Web.Workspaces;

internal sealed record CreateWorkspaceRequest(string? Name, string? Plan);
internal sealed record ChangePlanRequest(string? Plan);
internal sealed record CreatedWorkspaceResponse(string Id, string Name, Plan Plan, string ApiKey, string ApiKeyId);
internal sealed record WorkspaceResponse(string Id, string Name, Plan Plan, int? NumberLimit, int NumberCount);
internal sealed record ApiKeyResponse(string KeyId, string ApiKey, DateTimeOffset CreatedAt);

internal static class WorkspaceEndpoints
{
    private const string InvalidPlan = "Plan must be Free, Pro or Enterprise";

    public static void MapWorkspaceEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin/workspaces").RequireAuthorization(Principals.OperatorPolicy).WithTags("Operator");

        admin.MapPost("/", async (HttpRequest http, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var fields = new BodyFields(body.Body!);
            var name = fields.String("name", "name must be a string");
            var planText = fields.String("plan", InvalidPlan);
            if (fields.Failure is { } invalid) return Problems.From(invalid);
            if (!Plans.TryParse(planText, out var plan)) return Problems.Invalid(InvalidPlan);
            var id = Contracts.Common.Ids.New();
            var outcome = await cluster.GetGrain<IWorkspaceGrain>(id).Create(name ?? "", plan);
            return outcome.ToResult(created => Results.Created($"/api/admin/workspaces/{id}",
                new CreatedWorkspaceResponse(id, created.Workspace.Name, created.Workspace.Plan, created.ApiKey.ApiKey, created.ApiKey.KeyId)));
        }).DocumentBody<CreateWorkspaceRequest>(RequestBodies.Json).Produces<CreatedWorkspaceResponse>(StatusCodes.Status201Created).ProducesBodyProblems()
            .WithSummary("Create a workspace; the response holds its first API key, shown only once");

        admin.MapGet("/{id}", async (string id, IClusterClient cluster) =>
            await cluster.GetGrain<IWorkspaceGrain>(id).Get() is { } summary
                ? Results.Ok(ToResponse(summary))
                : Problems.NotFound("Workspace not found"))
            .Produces<WorkspaceResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("A workspace: plan, number limit (null when unlimited) and number count");

        admin.MapPut("/{id}/plan", async (string id, HttpRequest http, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var fields = new BodyFields(body.Body!);
            var planText = fields.String("plan", InvalidPlan, missing: InvalidPlan);
            if (fields.Failure is { } invalid) return Problems.From(invalid);
            if (!Plans.TryParse(planText, out var plan)) return Problems.Invalid(InvalidPlan);
            var outcome = await cluster.GetGrain<IWorkspaceGrain>(id).ChangePlan(plan);
            return outcome.ToResult(summary => Results.Ok(ToResponse(summary)));
        }).DocumentBody<ChangePlanRequest>(RequestBodies.Json).Produces<WorkspaceResponse>().ProducesBodyProblems().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Change a workspace's plan; takes effect at once, existing numbers are kept");

        admin.MapPost("/{id}/api-keys", async (string id, HttpRequest http, IClusterClient cluster) =>
        {
            // No fields, but a body that is there must still be a small JSON object, like every other write's.
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json, optional: true);
            if (body.Problem is { } problem) return problem;
            if (await cluster.GetGrain<IWorkspaceGrain>(id).Get() is null) return Problems.NotFound("Workspace not found");
            var key = await cluster.GetGrain<IApiKeysGrain>(id).Issue();
            return Results.Created($"/api/admin/workspaces/{id}/api-keys/{key.KeyId}", new ApiKeyResponse(key.KeyId, key.ApiKey, key.CreatedAt));
        }).Produces<ApiKeyResponse>(StatusCodes.Status201Created).ProducesBodyProblems().ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Issue another API key for a workspace (no body, or an empty JSON object)");

        admin.MapDelete("/{id}/api-keys/{keyId}", async (string id, string keyId, IClusterClient cluster) =>
                await cluster.GetGrain<IWorkspaceGrain>(id).Get() is null
                    ? Problems.NotFound("Workspace not found")
                    : (await cluster.GetGrain<IApiKeysGrain>(id).Revoke(keyId)).ToResult(_ => Results.NoContent()))
            .WithSummary("Revoke an API key; requests with it fail from now on, and its dashboard sessions and live connections end within seconds")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        app.MapGet("/api/workspace", async (ClaimsPrincipal user, IClusterClient cluster) =>
                await cluster.Workspace(user).Get() is { } summary ? Results.Ok(ToResponse(summary)) : Problems.NotFound("Workspace not found"))
            .RequireAuthorization(Principals.WorkspacePolicy)
            .WithTags("Workspace")
            .WithSummary("The caller's workspace: plan, number limit (null when unlimited) and number count")
            .Produces<WorkspaceResponse>();
    }

    private static WorkspaceResponse ToResponse(WorkspaceSummary s) => new(s.Id, s.Name, s.Plan, s.NumberLimit, s.NumberCount);
}
