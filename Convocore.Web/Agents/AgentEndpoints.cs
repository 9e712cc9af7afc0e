using System.Security.Claims;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Web.Api;

namespace Convocore.Web.Agents;

internal sealed record AgentRequest(string? Title, bool? VoiceEnabled, VoiceConfiguration? Voice);
internal sealed record AgentResponse(string Id, string Title, bool VoiceEnabled, VoiceConfiguration? Voice, int NumberCount, string? UnavailableReason);

internal static class AgentEndpoints
{
    public static void MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/api/agents").RequireAuthorization(Principals.WorkspacePolicy).WithTags("Agents");

        agents.MapPost("/", async (AgentRequest request, ClaimsPrincipal user, IClusterClient cluster) =>
            (await cluster.Workspace(user).CreateAgent(ToDraft(request))).ToResult(agent => Results.Created($"/api/agents/{agent.Id}", ToResponse(agent))));

        agents.MapGet("/", async (ClaimsPrincipal user, IClusterClient cluster) =>
            Results.Ok((await cluster.Workspace(user).ListAgents()).Select(ToResponse)));

        agents.MapGet("/{agentId}", async (string agentId, ClaimsPrincipal user, IClusterClient cluster) =>
            await cluster.GetGrain<IAgentGrain>(Ids.Scoped(user.WorkspaceId(), agentId)).Get() is { } agent
                ? Results.Ok(ToResponse(agent))
                : Problems.NotFound(Contracts.Numbers.NumberRules.AgentNotFound));

        agents.MapPut("/{agentId}", async (string agentId, AgentRequest request, ClaimsPrincipal user, IClusterClient cluster) =>
            (await cluster.Workspace(user).UpdateAgent(agentId, ToDraft(request))).ToResult(agent => Results.Ok(ToResponse(agent))));

        agents.MapDelete("/{agentId}", async (string agentId, ClaimsPrincipal user, IClusterClient cluster) =>
            (await cluster.Workspace(user).DeleteAgent(agentId)).ToResult(_ => Results.NoContent()))
            .WithSummary("Delete an agent; refused while it still answers numbers");
    }

    private static AgentDraft ToDraft(AgentRequest r) => new(r.Title, r.VoiceEnabled ?? false, r.Voice);

    private static AgentResponse ToResponse(AgentInfo a) => new(a.Id, a.Title, a.VoiceEnabled, a.Voice, a.NumberCount, a.UnavailableReason);
}
