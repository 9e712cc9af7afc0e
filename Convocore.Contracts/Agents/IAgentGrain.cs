namespace Convocore.Contracts.Agents;

/// <summary>One agent, keyed "workspaceId/agentId". Changed only through its workspace.</summary>
[Alias("convocore.agent-grain")]
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>Null when there is no such agent.</summary>
    Task<AgentInfo?> Get();
}
