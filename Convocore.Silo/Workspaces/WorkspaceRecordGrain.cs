using Convocore.Contracts.Common;
using Convocore.Silo.Routing;

namespace Convocore.Silo.Workspaces;

[GenerateSerializer, Alias("convocore.workspace-record-state`1")]
internal sealed class WorkspaceRecordState<TRecord> where TRecord : class
{
    [Id(0)] public TRecord? Record { get; set; }
}

/// <summary>Writes that only the record's workspace makes, one at a time.</summary>
[Alias("convocore.workspace-record-writer`1")]
internal interface IWorkspaceRecordWriter<in TRecord>
{
    Task Save(TRecord record);
    Task Remove();
}

/// <summary>
/// A record that belongs to one workspace (an agent, a trunk): keyed "workspaceId/id", so one workspace cannot
/// reach another's, and changed only by its workspace grain, which validates first. Calls are routed by it, so every
/// change is forgotten by every silo's routing table before it is acknowledged.
/// </summary>
internal abstract class WorkspaceRecordGrain<TRecord>(
    IPersistentState<WorkspaceRecordState<TRecord>> state,
    RouteInvalidator routes,
    RoutingTableKind routingKind) : Grain
    where TRecord : class
{
    protected TRecord? Record => state.State.Record;

    protected (string WorkspaceId, string Id) Key => Ids.Unscope(this.GetPrimaryKeyString());

    public Task Save(TRecord record) => Store(record);

    public Task Remove() => Store(null);

    private Task Store(TRecord? record)
    {
        var before = state.State.Record;
        return routes.Store(routingKind, this.GetPrimaryKeyString(), async () =>
        {
            state.State.Record = record;
            if (record is null) await state.ClearStateAsync();
            else await state.WriteStateAsync();
            state.State.Record = record;
        }, undo: () => state.State.Record = before);
    }
}
