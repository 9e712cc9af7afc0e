using Convocore.Contracts.Audit;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Workspaces;

namespace Convocore.Silo.Workspaces;

[GenerateSerializer, Alias("convocore.workspace-state")]
internal sealed class WorkspaceState
{
    [Id(0)] public string? Name { get; set; }
    [Id(1)] public Plan Plan { get; set; }
    [Id(2)] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Where API keys were kept before they had a grain of their own; <see cref="ApiKeysGrain"/> takes them over and this is no longer written.</summary>
    [Id(3)] public List<ApiKeyRecord> ApiKeys { get; set; } = [];
    [Id(4)] public List<string> AgentIds { get; set; } = [];
    [Id(5)] public List<string> TrunkIds { get; set; } = [];

    /// <summary>Number changes begun and not yet finished: normally none, at most an import's batch.</summary>
    [Id(6)] public Dictionary<string, PendingNumberChange> Pending { get; set; } = [];

    /// <summary>Audit entries of the last change to the workspace itself, written with it (<see cref="Audit.AuditOutbox"/>).</summary>
    [Id(7)] public List<AuditEntry> Audit { get; set; } = [];
}

internal enum NumberChangeKind
{
    Add,
    Reassign,
    Delete,
}

/// <summary>
/// A number change written down before its first step, so that whoever activates the workspace next can tell
/// how far it got. <see cref="Before"/> is the number's assignment when the change began (none for an add);
/// <see cref="Intended"/> is what an add claims. <see cref="Actor"/> and <see cref="At"/> make its audit entry, whoever
/// finishes it (null and default in changes written before the audit log).
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.pending-number-change")]
internal sealed record PendingNumberChange(
    [property: Id(0)] Guid OperationId,
    [property: Id(1)] NumberChangeKind Kind,
    [property: Id(2)] string PhoneNumber,
    [property: Id(3)] NumberAssignment? Before,
    [property: Id(4)] NumberAssignment? Intended,
    [property: Id(5)] AuditActor? Actor = null,
    [property: Id(6)] DateTimeOffset At = default);
