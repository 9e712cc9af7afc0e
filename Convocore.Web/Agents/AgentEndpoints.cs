using System.Security.Claims;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Web.Api;

namespace Convocore.Web.Agents;

/// <summary>The body of POST (voiceEnabled defaults to false, voice to none).</summary>
internal sealed record AgentRequest(string? Title, bool? VoiceEnabled, VoiceConfiguration? Voice);

/// <summary>The body of PUT: every field, voice null for none.</summary>
internal sealed record AgentReplacement([property: JsonRequired] string Title, [property: JsonRequired] bool VoiceEnabled,
    [property: JsonRequired] VoiceConfiguration? Voice);

internal sealed record AgentResponse(string Id, string Title, bool VoiceEnabled, VoiceConfiguration? Voice, int NumberCount, string? UnavailableReason);

internal static class AgentEndpoints
{
    private static readonly string[] ChangeableFields = ["title", "voiceEnabled", "voice"];

    public static void MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        var agents = app.MapGroup("/api/agents").RequireAuthorization(Principals.WorkspacePolicy).WithTags("Agents");

        agents.MapPost("/", async (HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var draft = Read(body.Body!, complete: false);
            if (draft.Failure is { } invalid) return Problems.From(invalid);
            var outcome = await cluster.Workspace(user).CreateAgent(draft.Value!);
            return outcome.ToResult(agent => Results.Created($"/api/agents/{agent.Id}", ToResponse(agent)));
        }).DocumentBody<AgentRequest>(RequestBodies.Json).Produces<AgentResponse>(StatusCodes.Status201Created).ProducesBodyProblems()
            .WithSummary("Create an agent; voiceEnabled defaults to false and voice to none (a draft)");

        agents.MapGet("/", async (ClaimsPrincipal user, IClusterClient cluster) =>
            Results.Ok((await cluster.Workspace(user).ListAgents()).Select(ToResponse)))
            .Produces<IEnumerable<AgentResponse>>()
            .WithSummary("The workspace's agents");

        agents.MapGet("/{agentId}", async (string agentId, ClaimsPrincipal user, IClusterClient cluster) =>
            await Agent(cluster, user, agentId).Get() is { } agent
                ? Results.Ok(ToResponse(agent))
                : Problems.NotFound(NumberRules.AgentNotFound))
            .Produces<AgentResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("One agent of the workspace");

        agents.MapPut("/{agentId}", async (string agentId, HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var draft = Read(body.Body!, complete: true);
            if (draft.Failure is { } invalid) return Problems.From(invalid);
            return (await cluster.Workspace(user).UpdateAgent(agentId, draft.Value!, null)).ToResult(agent => Results.Ok(ToResponse(agent)));
        }).DocumentBody<AgentReplacement>(RequestBodies.Json).Produces<AgentResponse>().ProducesBodyProblems().ProducesProblems(StatusCodes.Status404NotFound)
            .WithSummary("Replace an agent: every field is required (voice may be null for none)")
            .WithDescription("To change some fields only, use PATCH.");

        agents.MapPatch("/{agentId}", async (string agentId, HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(http, RequestBodies.MergePatch);
            if (body.Problem is { } problem) return problem;
            var patch = new BodyFields(body.Body!);
            patch.OnlyThese(ChangeableFields);
            patch.NotNull("title", "voiceEnabled");
            if (patch.Failure is { } invalid) return Problems.From(invalid);
            var workspace = cluster.Workspace(user);
            return await Edits.Patch<AgentDraft, AgentInfo>(body.Body!, NumberRules.AgentNotFound,
                current: async () => await Agent(cluster, user, agentId).Get() is { } a ? new AgentDraft(a.Title, a.VoiceEnabled, a.Voice) : null,
                represent: Represent,
                read: patched => Read(patched, complete: false),
                write: (stored, draft) => workspace.UpdateAgent(agentId, draft, stored),
                onSuccess: agent => Results.Ok(ToResponse(agent)));
        }).DocumentBody<AgentRequest>(RequestBodies.MergePatch).Produces<AgentResponse>().ProducesBodyProblems()
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Change some fields of an agent (JSON Merge Patch, RFC 7396): only the fields named change")
            .WithDescription("Content-Type: application/merge-patch+json. voice merges field by field; \"voice\": null removes it. " +
                             "title and voiceEnabled cannot be null.");

        agents.MapDelete("/{agentId}", async (string agentId, ClaimsPrincipal user, IClusterClient cluster) =>
            (await cluster.Workspace(user).DeleteAgent(agentId)).ToResult(_ => Results.NoContent()))
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary("Delete an agent; refused while it still answers numbers");
    }

    /// <param name="complete">PUT: every field must be there. Otherwise an absent title is left to the agent rules and voiceEnabled is false.</param>
    private static Outcome<AgentDraft> Read(JsonObject body, bool complete)
    {
        var fields = new BodyFields(body);
        var title = fields.String("title", "title must be a string", missing: complete ? "Title is required" : null);
        var voiceEnabled = fields.Bool("voiceEnabled", missing: complete ? "voiceEnabled is required: true or false" : null);
        var voice = fields.Object("voice", "voice must be a JSON object, or null for none",
            missing: complete ? "voice is required: a voice configuration, or null for none" : null, nullAllowed: true);
        var configuration = voice is null ? null : ReadVoice(new BodyFields(voice), fields);
        return fields.Failure is { } failure ? failure : new AgentDraft(title, voiceEnabled ?? false, configuration);
    }

    private static VoiceConfiguration? ReadVoice(BodyFields voice, BodyFields body)
    {
        var configuration = new VoiceConfiguration(
            voice.String("provider", "voice.provider must be a string"),
            voice.String("voiceId", "voice.voiceId must be a string"),
            voice.String("language", "voice.language must be a string"));
        if (voice.Failure is { } failure) body.Refuse(failure);
        return configuration;
    }

    /// <summary>The agent as the document a merge patch applies to: what is not set is absent.</summary>
    private static JsonObject Represent(AgentDraft agent)
    {
        var document = new JsonObject { ["title"] = agent.Title, ["voiceEnabled"] = agent.VoiceEnabled };
        if (agent.Voice is { } voice)
        {
            var members = new JsonObject();
            if (voice.Provider is not null) members["provider"] = voice.Provider;
            if (voice.VoiceId is not null) members["voiceId"] = voice.VoiceId;
            if (voice.Language is not null) members["language"] = voice.Language;
            document["voice"] = members;
        }
        return document;
    }

    private static IAgentGrain Agent(IClusterClient cluster, ClaimsPrincipal user, string agentId) =>
        cluster.GetGrain<IAgentGrain>(Ids.Scoped(user.WorkspaceId(), agentId));

    private static AgentResponse ToResponse(AgentInfo a) => new(a.Id, a.Title, a.VoiceEnabled, a.Voice, a.NumberCount, a.UnavailableReason);
}
