using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Silo.Numbers;

namespace Convocore.Silo.Agents;

[GenerateSerializer, Alias("convocore.agent-state")]
internal sealed class AgentState
{
    [Id(0)] public AgentDraft? Agent { get; set; }
}

/// <summary>Writes that only the agent's workspace makes, one at a time.</summary>
[Alias("convocore.agent-writer")]
internal interface IAgentWriter : IAgentGrain
{
    Task Save(AgentDraft draft);
    Task Remove();
}

internal sealed class AgentGrain(
    [PersistentState("agent")] IPersistentState<AgentState> state,
    NumberIndex index) : Grain, IAgentWriter
{
    private (string WorkspaceId, string Id) Key => Ids.Unscope(this.GetPrimaryKeyString());

    public async Task<AgentInfo?> Get()
    {
        if (state.State.Agent is not { } agent) return null;
        var (workspaceId, agentId) = Key;
        return new AgentInfo(agentId, agent.Title!, agent.VoiceEnabled, agent.Voice, await index.CountForAgent(workspaceId, agentId));
    }

    public async Task Save(AgentDraft draft)
    {
        state.State.Agent = draft with { Title = draft.Title!.Trim() };
        await state.WriteStateAsync();
    }

    public async Task Remove()
    {
        await state.ClearStateAsync();
        state.State.Agent = null;
    }
}
