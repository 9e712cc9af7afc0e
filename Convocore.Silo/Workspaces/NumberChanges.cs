using Convocore.Contracts.Audit;
using Convocore.Contracts.Numbers;
using Convocore.Silo.Audit;
using Convocore.Silo.Numbers;
using Convocore.Silo.Webhooks;

namespace Convocore.Silo.Workspaces;

/// <summary>
/// The workspace's number-change protocol, "reservation with idempotent completion": the change is written into the
/// workspace's state first (pending), then the phone number grain is changed (the commit point: one write there), then
/// the Redis lists are brought in line, then the pending entry is removed. A crash at any step leaves a pending entry,
/// and <see cref="SettleAll"/> (on the next activation, or from the sweeper) completes the change from what the phone
/// number grain says, so a number ends up either fully configured or absent. The audit entry (and the webhooks' event) of
/// a change is written once the commit point has passed and before the change is crossed off, by the change itself or by
/// whoever settles it; its id comes from the change's operation id, so settling a change twice logs it once, and a change
/// whose commit point was not reached logs nothing.
/// </summary>
internal sealed class NumberChanges(
    string workspaceId,
    IPersistentState<WorkspaceState> state,
    NumberIndex index,
    NumberEvents events,
    AuditLog audit,
    IGrainFactory grains,
    ILogger logger)
{
    private bool markedPending;

    public bool IsPending(string phoneNumber) => state.State.Pending.ContainsKey(phoneNumber);

    public bool Any => state.State.Pending.Count > 0;

    /// <summary>Adds begun and not finished: they count against the plan until settled.</summary>
    public int PendingAdds => state.State.Pending.Values.Count(c => c.Kind == NumberChangeKind.Add);

    /// <summary>
    /// Runs the change's steps between writing it down and crossing it off. When a step fails, <paramref name="settle"/>
    /// finishes or rolls back what landed (a failure there is left to the sweeper), and the failure goes to the caller.
    /// <paramref name="after"/> tells from the steps' result the number as it is now (null when the change did not land,
    /// or for a delete), for the webhooks' event, which is written before the change is crossed off.
    /// </summary>
    public async Task<T> Apply<T>(PendingNumberChange change, Func<Task<T>> steps, Func<Task> settle, Func<T, NumberAssignment?> after)
    {
        await Begin(change);
        try
        {
            var result = await steps();
            var now = after(result);
            await Landed(change, now);
            await Finish(change);
            return result;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "A {Kind} of a number in workspace {WorkspaceId} failed; settling it", change.Kind, workspaceId);
            try
            {
                await settle();
            }
            catch (Exception settling)
            {
                logger.LogWarning(settling, "Settling workspace {WorkspaceId} failed; the sweeper will retry", workspaceId);
            }
            throw;
        }
    }

    /// <summary>
    /// <see cref="Apply{T}"/> for many numbers at once (an import's batch): one write notes them all pending, their steps run
    /// together, one write crosses them all off. A crash leaves each entry for <see cref="SettleAll"/>, as for one change.
    /// </summary>
    /// <param name="steps">The number as each change left it (in the batch's order), null for one that did not land.</param>
    public async Task<NumberAssignment?[]> ApplyAll(IReadOnlyList<PendingNumberChange> batch, Func<Task<NumberAssignment?[]>> steps, Func<Task> settle)
    {
        if (batch.Count == 0) return await steps();
        foreach (var change in batch) state.State.Pending[change.PhoneNumber] = change;
        await WritePending();
        try
        {
            var result = await steps();
            await audit.Write(workspaceId, batch.Select((c, i) => AuditEntryOf(c, result[i])).OfType<AuditEntry>().ToArray());
            foreach (var change in batch) state.State.Pending.Remove(change.PhoneNumber);
            await state.WriteStateAsync();
            return result;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "An import batch of {Count} number changes in workspace {WorkspaceId} failed; settling it", batch.Count, workspaceId);
            try
            {
                await settle();
            }
            catch (Exception settling)
            {
                logger.LogWarning(settling, "Settling workspace {WorkspaceId} failed; the sweeper will retry", workspaceId);
            }
            throw;
        }
    }

    /// <summary>Completes every change a crash or a failure interrupted; true when there was one. Safe to repeat.</summary>
    public async Task<bool> SettleAll()
    {
        var settling = Any;
        foreach (var change in state.State.Pending.Values.ToArray())
        {
            await Settle(change);
            state.State.Pending.Remove(change.PhoneNumber);
        }
        if (settling) await state.WriteStateAsync();
        await index.ClearPending(workspaceId);
        // No longer marked in Redis: the next change must mark the workspace again, or a crash during it goes unswept.
        markedPending = false;
        return settling;
    }

    private async Task Settle(PendingNumberChange change)
    {
        var number = grains.GetGrain<IPhoneNumberGrain>(change.PhoneNumber);
        var actual = await number.GetAssignment();
        var ours = actual is not null && actual.WorkspaceId == workspaceId;
        switch (change.Kind)
        {
            case NumberChangeKind.Add:
                // The claim is the commit point: it landed, so finish the add; it did not, so there is nothing to undo.
                if (ours && actual!.OperationId == change.OperationId)
                {
                    await index.Move(change.PhoneNumber, null, Entry(actual));
                    await Landed(change, actual);
                }
                break;
            case NumberChangeKind.Reassign:
                await index.Move(change.PhoneNumber, Entry(change.Before!), ours ? Entry(actual!) : null);
                if (ours && actual!.OperationId == change.OperationId)
                    await Landed(change, actual);
                break;
            case NumberChangeKind.Delete:
                // The user asked for the delete and we wrote it down: finish it.
                if (ours) await number.Release(workspaceId, actual!.TrunkId, change.OperationId);
                await index.Move(change.PhoneNumber, Entry(change.Before!), null);
                await Landed(change, null);
                break;
        }
        logger.LogInformation("Settled an interrupted {Kind} of a number in workspace {WorkspaceId}", change.Kind, workspaceId);
    }

    private Task Begin(PendingNumberChange change)
    {
        state.State.Pending[change.PhoneNumber] = change;
        return WritePending();
    }

    private async Task WritePending()
    {
        if (markedPending)
        {
            await state.WriteStateAsync();
            return;
        }
        await Task.WhenAll(state.WriteStateAsync(), index.MarkPending(workspaceId));
        markedPending = true;
    }

    /// <summary>
    /// The workspace stays in the sweeper's pending set until the sweeper's next settle clears it: clearing it here
    /// would cost every change one more durable Redis write, and each is an fsync.
    /// </summary>
    private async Task Finish(PendingNumberChange change)
    {
        state.State.Pending.Remove(change.PhoneNumber);
        await state.WriteStateAsync();
    }

    public static IndexEntry Entry(NumberAssignment a) =>
        new(a.WorkspaceId, a.TrunkId, a.AgentId, a.Fallback is { Kind: FallbackKind.Agent } fallback ? fallback.Target : null);

    /// <summary>The webhooks' event and the audit entry of a change that landed, in one packet.</summary>
    private Task Landed(PendingNumberChange change, NumberAssignment? after)
    {
        var batch = audit.Batch();
        var written = Task.WhenAll(events.Landed(batch, workspaceId, change, after),
            AuditEntryOf(change, after) is { } entry ? audit.Write(batch, workspaceId, [entry]) : Task.CompletedTask);
        batch.Execute();
        return written;
    }

    /// <param name="after">The number as the change left it (an add or a reassign that landed), null for a delete.</param>
    private AuditEntry? AuditEntryOf(PendingNumberChange change, NumberAssignment? after)
    {
        var action = change.Kind switch
        {
            NumberChangeKind.Add when after is not null => AuditActions.NumberAdded,
            NumberChangeKind.Reassign when after is not null => AuditActions.NumberUpdated,
            NumberChangeKind.Delete when change.Before is not null => AuditActions.NumberDeleted,
            _ => null,
        };
        if (action is null) return null;
        var at = change.At == default ? audit.Now : change.At;
        return AuditLog.Entry(action, AuditTargets.Number, change.PhoneNumber, Fields(change.Before), change.Kind == NumberChangeKind.Delete ? null : Fields(after),
            change.Actor ?? AuditActor.System, at, change.OperationId);
    }

    private static System.Text.Json.Nodes.JsonObject? Fields(NumberAssignment? a) => a is null ? null : new()
    {
        ["trunkId"] = a.TrunkId,
        ["agentId"] = a.AgentId,
        ["region"] = a.Region.ToString(),
        ["additionalParams"] = a.AdditionalParamsJson is null ? null : System.Text.Json.Nodes.JsonNode.Parse(a.AdditionalParamsJson),
        ["fallback"] = a.Fallback is null ? null : new System.Text.Json.Nodes.JsonObject { ["type"] = a.Fallback.Kind.ToString().ToLowerInvariant(), ["target"] = a.Fallback.Target },
        ["routingHook"] = a.RoutingHook,
    };
}
