using Orleans.Concurrency;

namespace Convocore.Contracts.Workspaces;

/// <summary>
/// Told about every change a workspace makes (numbers, agents, trunks, plan) and about its calls that ended. Each web instance subscribes one per
/// workspace that has dashboard clients connected to it, and forwards the change to them.
/// </summary>
[Alias("convocore.workspace-observer")]
public interface IWorkspaceObserver : IGrainObserver
{
    // One-way: a slow or vanished web instance must never hold up a number change.
    [OneWay]
    Task Changed(WorkspaceChange change);
}

[GenerateSerializer, Immutable, Alias("convocore.workspace-change")]
public sealed record WorkspaceChange(
    [property: Id(0)] string WorkspaceId,
    [property: Id(1)] WorkspaceChangeKind Kind,
    [property: Id(2)] string? TrunkId,
    [property: Id(3)] string? PhoneNumber,
    [property: Id(4)] Routing.TestCallOutcome? TestCall = null,
    [property: Id(5)] CallsEnded? Calls = null);

/// <summary>
/// Calls of the workspace have ended and are in its call log: only the span of their start times, so a page can tell
/// whether its range covers any of them (never a number, a caller or a record).
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.calls-ended")]
public sealed record CallsEnded(
    [property: Id(0)] DateTimeOffset EarliestStart,
    [property: Id(1)] DateTimeOffset LatestStart);

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<WorkspaceChangeKind>))]
public enum WorkspaceChangeKind
{
    Numbers,
    Agents,
    Trunks,
    Plan,
    /// <summary>A test call was decided: <see cref="WorkspaceChange.TestCall"/> says what it met.</summary>
    TestCall,
    /// <summary>Calls ended and are in the call log: <see cref="WorkspaceChange.Calls"/> spans their start times. Throttled.</summary>
    Calls,
}
