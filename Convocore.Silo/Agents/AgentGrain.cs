using Convocore.Contracts.Audit;
using Convocore.Silo.Audit;
using Convocore.Contracts.Agents;
using Convocore.Silo.Numbers;
using Convocore.Silo.Routing;
using Convocore.Silo.Workspaces;

namespace Convocore.Silo.Agents;

[Alias("convocore.agent-writer")]
internal interface IAgentWriter : IAgentGrain, IWorkspaceRecordWriter<AgentDraft>;

internal sealed class AgentGrain(
    [PersistentState("agent")] IPersistentState<WorkspaceRecordState<AgentDraft>> state,
    NumberIndex index,
    RouteInvalidator routes,
    AuditLog audit,
    ILogger<AgentGrain> logger) : WorkspaceRecordGrain<AgentDraft>(state, routes, RoutingTableKind.Agent, audit, AuditTargets.Agent, logger), IAgentWriter
{
    public async Task<AgentInfo?> Get()
    {
        if (Record is not { } agent) return null;
        var (workspaceId, agentId) = Key;
        return new AgentInfo(agentId, agent.Title!, agent.VoiceEnabled, agent.Voice, await index.CountForAgent(workspaceId, agentId));
    }

    public Task<string?> UnavailableReason() => Task.FromResult(Record is { } agent ? agent.UnavailableReason : Contracts.Numbers.NumberRules.AgentNotFound);
}
