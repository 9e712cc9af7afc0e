using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Orleans.Concurrency;

namespace Convocore.Contracts.Workspaces;

/// <summary>
/// A workspace: its plan, agents and trunks, and the authority over its number quota. Every change to numbers, agents
/// and trunks goes through it, one at a time, which is what keeps the quota exact and lets it refuse to orphan numbers.
/// Reads interleave with a change in flight, so a dashboard never waits behind one. Its API keys are
/// <see cref="IApiKeysGrain"/>'s.
/// </summary>
[Alias("convocore.workspace")]
public interface IWorkspaceGrain : IGrainWithStringKey, Audit.IAuditedGrain
{
    Task<Outcome<CreatedWorkspace>> Create(string name, Plan plan);
    [AlwaysInterleave]
    Task<WorkspaceSummary?> Get();
    Task<Outcome<WorkspaceSummary>> ChangePlan(Plan plan);

    Task<Outcome<AgentInfo>> CreateAgent(AgentDraft draft);
    /// <param name="unlessChangedFrom">When given, the update is refused (<see cref="ConcurrentEdits.ChangedMeanwhile"/>) unless the agent is still this.</param>
    Task<Outcome<AgentInfo>> UpdateAgent(string agentId, AgentDraft draft, AgentDraft? unlessChangedFrom);
    Task<Outcome<Done>> DeleteAgent(string agentId);
    [AlwaysInterleave]
    Task<IReadOnlyList<AgentInfo>> ListAgents();

    Task<Outcome<TrunkInfo>> CreateTrunk(TrunkDraft draft);
    /// <param name="unlessChangedFrom">When given, the update is refused (<see cref="ConcurrentEdits.ChangedMeanwhile"/>) unless the trunk is still this.</param>
    Task<Outcome<TrunkInfo>> UpdateTrunk(string trunkId, TrunkDraft draft, TrunkDraft? unlessChangedFrom);
    Task<Outcome<Done>> DeleteTrunk(string trunkId);
    [AlwaysInterleave]
    Task<IReadOnlyList<TrunkInfo>> ListTrunks();

    Task<Outcome<NumberInfo>> AddNumber(AddNumber command);
    Task<Outcome<NumberInfo>> ReassignNumber(ReassignNumber command);
    Task<Outcome<Done>> DeleteNumber(string trunkId, string phoneNumber);

    /// <summary>
    /// What importing these rows would do to each, now, counting <paramref name="addsBefore"/> adds of earlier rows of
    /// the same file against the plan. Changes nothing.
    /// </summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<ImportRowResult>> CheckImport(IReadOnlyList<ImportRow> rows, int addsBefore);
    /// <summary>Applies the rows that are adds or updates, as one batch of number changes; the result says what each row did.</summary>
    Task<IReadOnlyList<ImportRowResult>> ApplyImport(IReadOnlyList<ImportRow> rows);

    /// <summary>Finishes or rolls back any number change that a crash interrupted.</summary>
    Task Reconcile();

    /// <summary>
    /// Adds (or renews) an observer told about every change; a subscription lapses unless renewed within
    /// <see cref="WorkspaceObservers.Expiry"/>, so a web instance that goes away is forgotten.
    /// </summary>
    Task Subscribe(IWorkspaceObserver observer);
    Task Unsubscribe(IWorkspaceObserver observer);

    /// <summary>Tells the observers what a test call met (from the silo whose call path decided it).</summary>
    [OneWay, AlwaysInterleave]
    Task AnnounceTestCall(Routing.TestCallOutcome outcome);

    /// <summary>Tells the observers that calls ended (from a silo's ingester, at most once a throttle window each).</summary>
    [OneWay, AlwaysInterleave]
    Task AnnounceCallsEnded(CallsEnded calls);
}

public static class WorkspaceObservers
{
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(1);
    /// <summary>Also bounds how long observers are missing after the workspace grain moves to another silo.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(10);
}

[GenerateSerializer, Immutable, Alias("convocore.workspace-summary")]
public sealed record WorkspaceSummary(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] Plan Plan,
    [property: Id(3)] int? NumberLimit,
    [property: Id(4)] int NumberCount,
    [property: Id(5)] DateTimeOffset CreatedAt);

[GenerateSerializer, Immutable, Alias("convocore.created-workspace")]
public sealed record CreatedWorkspace([property: Id(0)] WorkspaceSummary Workspace, [property: Id(1)] IssuedApiKey ApiKey);

/// <summary>An API key as shown once, at issue: the secret is never stored, only its hash.</summary>
[GenerateSerializer, Immutable, Alias("convocore.issued-api-key")]
public sealed record IssuedApiKey([property: Id(0)] string KeyId, [property: Id(1)] string ApiKey, [property: Id(2)] DateTimeOffset CreatedAt);
