using Convocore.Contracts.Audit;
using Orleans.Concurrency;

namespace Convocore.Silo.Audit;

/// <summary>Reads a workspace's audit log (keyed by the workspace id) on whichever silo takes the call.</summary>
[StatelessWorker]
internal sealed class AuditLogGrain(AuditLog log) : Grain, IAuditLogGrain
{
    public Task<AuditPage> Page(AuditQuery query) => log.Read(this.GetPrimaryKeyString(), query);
}
