namespace Convocore.Contracts.Agents;

/// <summary>One agent, keyed "workspaceId/agentId". Changed only through its workspace.</summary>
[Alias("convocore.agent-grain")]
public interface IAgentGrain : IGrainWithStringKey
{
    /// <summary>Null when there is no such agent.</summary>
    Task<AgentInfo?> Get();

    /// <summary>
    /// For the call path: why the agent cannot take calls now ("Agent not found" when gone), or null. Reads no storage, and
    /// interleaves with a change in progress (see <see cref="Numbers.IPhoneNumberGrain.GetAssignment"/>).
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<string?> UnavailableReason();
}
