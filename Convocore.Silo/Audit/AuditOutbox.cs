using Convocore.Contracts.Audit;

namespace Convocore.Silo.Audit;

/// <summary>
/// How a grain's change and its audit entry land together: the entry goes into the grain's own state, in the same write
/// as the change (one Redis write, so a crash cannot part them), and is copied to the log right after. Before that write the
/// grain is marked in <see cref="AuditLog.OutboxKey"/>; the <see cref="AuditOutboxSweeper"/> has every marked grain copy
/// what its state still holds (after a crash between the write and the copy) and unmark itself. A write that fails takes
/// its entry back out, so a change that did not land leaves none.
/// </summary>
internal sealed class AuditOutbox(AuditLog log, string workspaceId, string member, ILogger logger)
{
    private bool marked;

    /// <summary>The grain's name in the outbox set: "kind|key".</summary>
    public static string Member(string kind, string key) => kind + "|" + key;

    public AuditActor Actor => AuditContext.Current;

    public DateTimeOffset Now => log.Now;

    /// <summary>
    /// Adds the entries to <paramref name="outbox"/> (part of the state <paramref name="write"/> writes), writes, then copies
    /// them to the log. The copy failing does not fail the change, which has landed: the entries wait in the state.
    /// </summary>
    public async Task Write(List<AuditEntry> outbox, IReadOnlyCollection<AuditEntry> entries, Func<Task> write, Action? failed = null)
    {
        if (entries.Count == 0)
        {
            await write();
            return;
        }
        if (!marked)
        {
            await log.Mark(member);
            marked = true;
        }
        outbox.AddRange(entries);
        try
        {
            await write();
        }
        catch
        {
            outbox.RemoveAll(entries.Contains);
            failed?.Invoke();
            throw;
        }
        await TryCopy(outbox);
    }

    /// <summary>At activation: a crash may have left entries in the state that are not in the log yet.</summary>
    public Task Recover(List<AuditEntry> outbox) => outbox.Count == 0 ? Task.CompletedTask : TryCopy(outbox);

    /// <summary>For the sweeper: copies what is left and, once nothing is, unmarks the grain.</summary>
    public async Task Flush(List<AuditEntry> outbox)
    {
        if (outbox.Count > 0)
        {
            await log.Write(workspaceId, outbox);
            outbox.Clear();
        }
        await log.Unmark(member);
        marked = false;
    }

    private async Task TryCopy(List<AuditEntry> outbox)
    {
        try
        {
            await log.Write(workspaceId, outbox);
            // Still in the stored state until the grain's next write; copying them again is harmless (ids are unique).
            outbox.Clear();
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Audit entries of workspace {WorkspaceId} wait in {Grain}'s state; the sweeper will copy them", workspaceId, member);
        }
    }
}
