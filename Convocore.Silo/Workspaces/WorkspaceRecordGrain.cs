using Convocore.Contracts.Audit;
using Convocore.Contracts.Common;
using Convocore.Silo.Audit;
using Convocore.Silo.Routing;

namespace Convocore.Silo.Workspaces;

[GenerateSerializer, Alias("convocore.workspace-record-state`1")]
internal sealed class WorkspaceRecordState<TRecord> where TRecord : class
{
    [Id(0)] public TRecord? Record { get; set; }
    /// <summary>Audit entries of the last change, written with it (<see cref="AuditOutbox"/>).</summary>
    [Id(1)] public List<AuditEntry> Audit { get; set; } = [];
}

/// <summary>Writes that only the record's workspace makes, one at a time.</summary>
[Alias("convocore.workspace-record-writer`1")]
internal interface IWorkspaceRecordWriter<in TRecord> : IAuditedGrain
{
    Task Save(TRecord record);
    Task Remove();
}

/// <summary>
/// A record that belongs to one workspace (an agent, a trunk): keyed "workspaceId/id", so one workspace cannot
/// reach another's, and changed only by its workspace grain, which validates first. Calls are routed by it, so every
/// change is forgotten by every silo's routing table before it is acknowledged. Each change writes its audit entry
/// in the same state write; a removal then clears the state once the entry is in the log.
/// </summary>
internal abstract class WorkspaceRecordGrain<TRecord>(
    IPersistentState<WorkspaceRecordState<TRecord>> state,
    RouteInvalidator routes,
    RoutingTableKind routingKind,
    AuditLog audit,
    string auditKind,
    ILogger logger) : Grain
    where TRecord : class
{
    private AuditOutbox outbox = null!;

    protected TRecord? Record => state.State.Record;

    protected (string WorkspaceId, string Id) Key => Ids.Unscope(this.GetPrimaryKeyString());

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        outbox = new AuditOutbox(audit, Key.WorkspaceId, AuditOutbox.Member(auditKind, this.GetPrimaryKeyString()), logger);
        await outbox.Recover(state.State.Audit);
    }

    public Task Save(TRecord record) => Store(record);

    public Task Remove() => Store(null);

    public Task FlushAudit() => outbox.Flush(state.State.Audit);

    private Task Store(TRecord? record)
    {
        var before = state.State.Record;
        // A creation is logged by the workspace, in the write that lists the new record: until then it has not landed.
        AuditEntry[] entries = before is null ? [] :
            [AuditLog.Entry($"{auditKind}.{(record is null ? "deleted" : "updated")}", auditKind, Key.Id, AuditLog.Fields(before), AuditLog.Fields(record), outbox.Actor, outbox.Now)];
        return routes.Store(routingKind, this.GetPrimaryKeyString(), async () =>
        {
            state.State.Record = record;
            await outbox.Write(state.State.Audit, entries, () => state.WriteStateAsync());
            // A removal's state goes once its entry is in the log; till then the entry waits in it, with no record.
            if (record is null && state.State.Audit.Count == 0) await state.ClearStateAsync();
            state.State.Record = record;
        }, undo: () =>
        {
            state.State.Record = before;
            // A write that timed out may still have landed: the next call reads what Redis holds, entries included.
            DeactivateOnIdle();
        });
    }
}
