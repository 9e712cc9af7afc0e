using Convocore.Contracts.Agents;
using Convocore.Contracts.Audit;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Contracts.Workspaces;
using Convocore.Silo.Agents;
using Convocore.Silo.Audit;
using Convocore.Silo.Numbers;
using Convocore.Silo.Trunks;
using Convocore.Silo.Webhooks;
using Orleans.Utilities;

namespace Convocore.Silo.Workspaces;

/// <summary>
/// A workspace's plan and quota, its agents and trunks, and the authority over its numbers: changes go through it one at
/// a time, which keeps the quota exact and lets it refuse to orphan numbers. How a number change survives a crash is
/// <see cref="NumberChanges"/>; the API keys are <see cref="ApiKeysGrain"/>'s.
/// </summary>
internal sealed partial class WorkspaceGrain(
    [PersistentState(WorkspaceGrain.StateName)] IPersistentState<WorkspaceState> state,
    NumberIndex index,
    NumberEvents numberEvents,
    NumberChangeProbe probe,
    TimeProvider clock,
    AuditLog audit,
    ILogger<WorkspaceGrain> logger) : Grain, IWorkspaceGrain
{
    public const string StateName = "workspace";
    private const int MaxNameLength = 120;
    private readonly ObserverManager<IWorkspaceObserver> observers = new(WorkspaceObservers.Expiry, logger);
    private NumberChanges changes = null!;
    private AuditOutbox outbox = null!;
    private int numberCount;

    private string Id => this.GetPrimaryKeyString();
    private bool Exists => state.State.Name is not null;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        changes = new NumberChanges(Id, state, index, numberEvents, audit, GrainFactory, logger);
        outbox = new AuditOutbox(audit, Id, AuditOutbox.Member(AuditOutboxSweeper.Workspace, Id), logger);
        await outbox.Recover(state.State.Audit);
        if (!Exists) return;
        await Reconcile();
    }

    public async Task<Outcome<CreatedWorkspace>> Create(string name, Plan plan)
    {
        if (Exists) return Failure.Conflict("Workspace already exists");
        if (string.IsNullOrWhiteSpace(name)) return Failure.Invalid("Name is required");
        if (name.Length > MaxNameLength) return Failure.Invalid($"Name must be at most {MaxNameLength} characters");
        // The key first: a workspace that exists always has one, and a key of a workspace never written opens nothing.
        var key = await GrainFactory.GetGrain<IApiKeysGrain>(Id).Issue();
        state.State.Name = name.Trim();
        state.State.Plan = plan;
        state.State.CreatedAt = clock.GetUtcNow();
        var entry = AuditLog.Entry(AuditActions.WorkspaceCreated, AuditTargets.Workspace, Id, null,
            new() { ["name"] = state.State.Name, ["plan"] = plan.ToString() }, outbox.Actor, state.State.CreatedAt);
        await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.Name = null));
        return new CreatedWorkspace(Summary(), key);
    }

    public Task<WorkspaceSummary?> Get() => Task.FromResult(Exists ? Summary() : null);

    public async Task<Outcome<WorkspaceSummary>> ChangePlan(Plan plan)
    {
        if (!Exists) return WorkspaceNotFound;
        var before = state.State.Plan;
        var entry = AuditLog.Entry(AuditActions.PlanChanged, AuditTargets.Workspace, Id, new() { ["plan"] = before.ToString() },
            new() { ["plan"] = plan.ToString() }, outbox.Actor, outbox.Now);
        state.State.Plan = plan;
        await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.Plan = before));
        Changed(WorkspaceChangeKind.Plan);
        return Summary();
    }

    public async Task<Outcome<AgentInfo>> CreateAgent(AgentDraft draft)
    {
        if (!Exists) return WorkspaceNotFound;
        if (AgentRules.Validate(draft) is { } failure) return failure;
        var agentId = Contracts.Common.Ids.New();
        await Agent(agentId).Save(draft.Normalized());
        state.State.AgentIds.Add(agentId);
        var entry = AuditLog.Entry(AuditActions.AgentCreated, AuditTargets.Agent, agentId, null, AuditLog.Fields(draft.Normalized()), outbox.Actor, outbox.Now);
        await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.AgentIds.Remove(agentId)));
        Changed(WorkspaceChangeKind.Agents);
        return (await Agent(agentId).Get())!;
    }

    public async Task<Outcome<AgentInfo>> UpdateAgent(string agentId, AgentDraft draft, AgentDraft? unlessChangedFrom)
    {
        if (!state.State.AgentIds.Contains(agentId)) return Failure.NotFound(NumberRules.AgentNotFound);
        if (AgentRules.Validate(draft) is { } failure) return failure;
        if (unlessChangedFrom is not null && await Agent(agentId).Get() is { } stored
            && new AgentDraft(stored.Title, stored.VoiceEnabled, stored.Voice) != unlessChangedFrom)
            return Failure.Conflict(ConcurrentEdits.ChangedMeanwhile);
        await Agent(agentId).Save(draft.Normalized());
        Changed(WorkspaceChangeKind.Agents);
        return (await Agent(agentId).Get())!;
    }

    public async Task<Outcome<Done>> DeleteAgent(string agentId)
    {
        if (!state.State.AgentIds.Contains(agentId)) return Failure.NotFound(NumberRules.AgentNotFound);
        await SettlePending();
        var answering = await index.CountForAgent(Id, agentId);
        if (answering > 0)
            return Failure.Conflict($"Agent still answers {Count(answering)}: reassign or delete them first");
        var fallingBack = await index.CountFallingBackTo(Id, agentId);
        if (fallingBack > 0)
            return Failure.Conflict($"Agent is still the fallback of {Count(fallingBack)}: change their fallback first");
        await Agent(agentId).Remove();
        state.State.AgentIds.Remove(agentId);
        await state.WriteStateAsync();
        Changed(WorkspaceChangeKind.Agents);
        return Done.Instance;
    }

    public async Task<IReadOnlyList<AgentInfo>> ListAgents() =>
        (await Task.WhenAll(state.State.AgentIds.Select(id => Agent(id).Get()))).OfType<AgentInfo>().ToArray();

    public async Task<Outcome<TrunkInfo>> CreateTrunk(TrunkDraft draft)
    {
        if (!Exists) return WorkspaceNotFound;
        if (TrunkRules.Validate(draft) is { } failure) return failure;
        var trunkId = Contracts.Common.Ids.New();
        await Trunk(trunkId).Save(draft.Normalized());
        state.State.TrunkIds.Add(trunkId);
        var entry = AuditLog.Entry(AuditActions.TrunkCreated, AuditTargets.Trunk, trunkId, null, AuditLog.Fields(draft.Normalized()), outbox.Actor, outbox.Now);
        await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.TrunkIds.Remove(trunkId)));
        Changed(WorkspaceChangeKind.Trunks, trunkId);
        return (await Trunk(trunkId).Get())!;
    }

    public async Task<Outcome<TrunkInfo>> UpdateTrunk(string trunkId, TrunkDraft draft, TrunkDraft? unlessChangedFrom)
    {
        if (!state.State.TrunkIds.Contains(trunkId)) return Failure.NotFound(NumberRules.TrunkNotFound);
        if (TrunkRules.Validate(draft) is { } failure) return failure;
        if (unlessChangedFrom is not null && await Trunk(trunkId).Get() is { } stored
            && new TrunkDraft(stored.Name, stored.Region, stored.Active, stored.DefaultCountry) != unlessChangedFrom)
            return Failure.Conflict(ConcurrentEdits.ChangedMeanwhile);
        await Trunk(trunkId).Save(draft.Normalized());
        Changed(WorkspaceChangeKind.Trunks, trunkId);
        return (await Trunk(trunkId).Get())!;
    }

    public async Task<Outcome<Done>> DeleteTrunk(string trunkId)
    {
        if (!state.State.TrunkIds.Contains(trunkId)) return Failure.NotFound(NumberRules.TrunkNotFound);
        await SettlePending();
        var holding = await index.CountInTrunk(Id, trunkId);
        if (holding > 0) return Failure.Conflict($"Trunk still holds {Count(holding)}: delete them first");
        await Trunk(trunkId).Remove();
        state.State.TrunkIds.Remove(trunkId);
        await state.WriteStateAsync();
        Changed(WorkspaceChangeKind.Trunks, trunkId);
        return Done.Instance;
    }

    public async Task<IReadOnlyList<TrunkInfo>> ListTrunks() =>
        (await Task.WhenAll(state.State.TrunkIds.Select(id => Trunk(id).Get()))).OfType<TrunkInfo>().ToArray();

    public async Task<Outcome<NumberInfo>> AddNumber(AddNumber command)
    {
        if (!Exists) return WorkspaceNotFound;
        if (E164.Validate(command.PhoneNumber) is { } invalidNumber) return invalidNumber;
        var phoneNumber = command.PhoneNumber!;
        if (string.IsNullOrWhiteSpace(command.AgentId)) return Failure.Invalid(NumberRules.AgentRequired);
        if (!state.State.TrunkIds.Contains(command.TrunkId)) return Failure.NotFound(NumberRules.TrunkNotFound);
        if (await AvailableAgent(command.AgentId) is { Failure: { } agentFailure }) return agentFailure;
        if (NumberRules.ValidateAdditionalParams(command.AdditionalParamsJson) is { } invalidParams) return invalidParams;
        if (FallbackFailure(command.Fallback) is { } invalidFallback) return invalidFallback;
        if (QuotaFailure() is { } quotaFailure)
        {
            // A number that is configured already could not be added under any plan: say that, not the limit.
            return await Number(phoneNumber).GetAssignment() is null ? quotaFailure : Failure.Conflict(NumberRules.AlreadyExists);
        }
        if (changes.IsPending(phoneNumber)) await Reconcile();

        var trunk = (await Trunk(command.TrunkId).Get())!;
        var now = clock.GetUtcNow();
        var assignment = new NumberAssignment(Id, command.TrunkId, command.AgentId, command.Region ?? trunk.Region,
            command.AdditionalParamsJson, now, now, Guid.NewGuid(), command.Fallback, command.RoutingHook);
        var change = new PendingNumberChange(assignment.OperationId, NumberChangeKind.Add, phoneNumber, null, assignment, AuditContext.Current, now);
        var claimed = await changes.Apply(change, async () =>
        {
            if (!await Number(phoneNumber).Claim(assignment)) return false;
            await probe.Committed(change.Kind, phoneNumber);
            await index.Move(phoneNumber, null, NumberChanges.Entry(assignment));
            return true;
        }, Reconcile, landed => landed ? assignment : null);
        if (!claimed) return Failure.Conflict(NumberRules.AlreadyExists);
        numberCount++;
        Changed(WorkspaceChangeKind.Numbers, command.TrunkId, phoneNumber);
        return await Describe(phoneNumber, assignment);
    }

    public async Task<Outcome<NumberInfo>> ReassignNumber(ReassignNumber command)
    {
        if (!Exists) return WorkspaceNotFound;
        if (string.IsNullOrWhiteSpace(command.AgentId)) return Failure.Invalid(NumberRules.AgentRequired);
        if (!state.State.TrunkIds.Contains(command.TrunkId)) return Failure.NotFound(NumberRules.TrunkNotFound);
        if (await OwnedAssignment(command.TrunkId, command.PhoneNumber) is not { } current) return Failure.NotFound(NumberRules.NumberNotFound);
        if (await AvailableAgent(command.AgentId) is { Failure: { } agentFailure }) return agentFailure;
        if (NumberRules.ValidateAdditionalParams(command.AdditionalParamsJson) is { } invalidParams) return invalidParams;
        if (FallbackFailure(command.Fallback) is { } invalidFallback) return invalidFallback;
        if (command.UnlessChangedFrom is { } expected && expected != new NumberSettings(current.AgentId, current.AdditionalParamsJson, current.Fallback, current.RoutingHook))
            return Failure.Conflict(ConcurrentEdits.ChangedMeanwhile);

        var change = new PendingNumberChange(Guid.NewGuid(), NumberChangeKind.Reassign, command.PhoneNumber, current, null, AuditContext.Current, clock.GetUtcNow());
        var updated = await changes.Apply(change, async () =>
        {
            var updated = await Number(command.PhoneNumber).Reassign(Id, command.TrunkId, command.AgentId,
                command.AdditionalParamsJson, replaceParams: true, change.OperationId, command.Fallback, command.RoutingHook);
            await probe.Committed(change.Kind, command.PhoneNumber);
            await index.Move(command.PhoneNumber, NumberChanges.Entry(current), updated is null ? null : NumberChanges.Entry(updated));
            return updated;
        }, Reconcile, updated => updated);
        Changed(WorkspaceChangeKind.Numbers, command.TrunkId, command.PhoneNumber);
        return updated is null ? Failure.NotFound(NumberRules.NumberNotFound) : await Describe(command.PhoneNumber, updated);
    }

    public async Task<Outcome<Done>> DeleteNumber(string trunkId, string phoneNumber)
    {
        if (!Exists) return WorkspaceNotFound;
        if (!state.State.TrunkIds.Contains(trunkId)) return Failure.NotFound(NumberRules.TrunkNotFound);
        if (await OwnedAssignment(trunkId, phoneNumber) is not { } current) return Failure.NotFound(NumberRules.NumberNotFound);

        var change = new PendingNumberChange(Guid.NewGuid(), NumberChangeKind.Delete, phoneNumber, current, null, AuditContext.Current, clock.GetUtcNow());
        await changes.Apply(change, async () =>
        {
            await Number(phoneNumber).Release(Id, trunkId, change.OperationId);
            await probe.Committed(change.Kind, phoneNumber);
            await index.Move(phoneNumber, NumberChanges.Entry(current), null);
            return Done.Instance;
        }, Reconcile, _ => null);
        numberCount--;
        Changed(WorkspaceChangeKind.Numbers, trunkId, phoneNumber);
        return Done.Instance;
    }

    public async Task<IReadOnlyList<ImportRowResult>> CheckImport(IReadOnlyList<ImportRow> rows, int addsBefore) =>
        (await (await Imports()).Decide(rows, addsBefore)).Select(d => d.Result).ToArray();

    public async Task<IReadOnlyList<ImportRowResult>> ApplyImport(IReadOnlyList<ImportRow> rows)
    {
        if (!Exists) return rows.Select(r => new ImportRowResult(r.Row, r.PhoneNumber, ImportRowStatus.Error, WorkspaceNotFound.Detail)).ToArray();
        if (changes.Any) await Reconcile();
        var decisions = await (await Imports()).Decide(rows, 0);
        var now = clock.GetUtcNow();
        var actor = AuditContext.Current;
        var batch = new List<(int Row, ImportDecision Decision, PendingNumberChange Change)>();
        for (var i = 0; i < decisions.Length; i++)
        {
            var d = decisions[i];
            var phoneNumber = d.Result.PhoneNumber!;
            if (d.Status == ImportRowStatus.Add)
            {
                var assignment = new NumberAssignment(Id, d.TrunkId!, d.AgentId!, d.Region!.Value, d.AdditionalParamsJson, now, now, Guid.NewGuid(), d.Fallback);
                batch.Add((i, d, new PendingNumberChange(assignment.OperationId, NumberChangeKind.Add, phoneNumber, null, assignment, actor, now)));
            }
            else if (d.Status == ImportRowStatus.Update)
                batch.Add((i, d, new PendingNumberChange(Guid.NewGuid(), NumberChangeKind.Reassign, phoneNumber, d.Current, null, actor, now)));
        }
        var results = decisions.Select(d => d.Result).ToArray();
        if (batch.Count == 0) return results;

        var applied = await changes.ApplyAll(batch.Select(b => b.Change).ToArray(),
            () => Task.WhenAll(batch.Select(b => ApplyImported(b.Change, b.Decision))), Reconcile);
        for (var i = 0; i < batch.Count; i++)
        {
            if (applied[i] is not null) continue;
            var row = batch[i].Row;
            results[row] = results[row] with
            {
                Status = ImportRowStatus.Error,
                Message = batch[i].Change.Kind == NumberChangeKind.Add ? NumberRules.AlreadyExists : NumberRules.NumberNotFound,
            };
        }
        numberCount += batch.Where((b, i) => applied[i] is not null && b.Change.Kind == NumberChangeKind.Add).Count();
        Changed(WorkspaceChangeKind.Numbers);
        return results;
    }

    /// <summary>One change of an import's batch: the steps of <see cref="AddNumber"/> or <see cref="ReassignNumber"/>.</summary>
    /// <returns>The number as it is now, or null when the change did not land.</returns>
    private async Task<NumberAssignment?> ApplyImported(PendingNumberChange change, ImportDecision decision)
    {
        var phoneNumber = change.PhoneNumber;
        if (change.Kind == NumberChangeKind.Add)
        {
            var assignment = change.Intended!;
            if (!await Number(phoneNumber).Claim(assignment)) return null;
            await probe.Committed(change.Kind, phoneNumber);
            await index.Move(phoneNumber, null, NumberChanges.Entry(assignment));
            return assignment;
        }
        var before = change.Before!;
        var updated = await Number(phoneNumber).Reassign(Id, before.TrunkId, decision.AgentId!, decision.AdditionalParamsJson,
            replaceParams: true, change.OperationId, decision.Fallback);
        await probe.Committed(change.Kind, phoneNumber);
        await index.Move(phoneNumber, NumberChanges.Entry(before), updated is null ? null : NumberChanges.Entry(updated));
        return updated;
    }

    private async Task<ImportDecisions> Imports() => new(Id, await ListAgents(), await ListTrunks(), QuotaFailure, GrainFactory);

    public async Task Reconcile()
    {
        var settled = await changes.SettleAll();
        numberCount = await index.CountInWorkspace(Id);
        if (settled) Changed(WorkspaceChangeKind.Numbers);
    }

    public Task FlushAudit() => outbox.Flush(state.State.Audit);

    /// <summary>Puts memory back; a write that timed out may still have landed, so the next activation reads what Redis holds (entries included).</summary>
    private void WriteFailed(Action undo)
    {
        undo();
        DeactivateOnIdle();
    }

    public Task Subscribe(IWorkspaceObserver observer)
    {
        observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IWorkspaceObserver observer)
    {
        observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task AnnounceTestCall(Contracts.Routing.TestCallOutcome outcome)
    {
        Notify(new WorkspaceChange(Id, WorkspaceChangeKind.TestCall, null, outcome.PhoneNumber, outcome));
        return Task.CompletedTask;
    }

    private void Changed(WorkspaceChangeKind kind, string? trunkId = null, string? phoneNumber = null) =>
        Notify(new WorkspaceChange(Id, kind, trunkId, phoneNumber));

    private void Notify(WorkspaceChange change)
    {
        if (observers.Count == 0) return;
        observers.Notify(o => { _ = o.Changed(change); });
    }

    /// <summary>
    /// A change that failed and could not be settled yet may have given a number to an agent or trunk that the lists do not
    /// show yet: the counts are right only once it is settled. Throws (and the caller's delete fails) while it cannot be.
    /// </summary>
    private async Task SettlePending()
    {
        if (changes.Any) await Reconcile();
    }

    /// <param name="addsBefore">Adds not made yet that come first (earlier rows of an import).</param>
    private Failure? QuotaFailure(int addsBefore = 0)
    {
        if (state.State.Plan.NumberLimit() is not { } limit) return null;
        var planName = state.State.Plan.ToString();
        var inUse = numberCount + changes.PendingAdds + addsBefore;
        if (inUse < limit) return null;
        return inUse == limit
            ? Failure.Forbidden($"Number limit reached: the {planName} plan allows {Count(limit)}")
            : Failure.Forbidden($"This workspace has {Count(inUse)}, more than the {planName} plan allows ({limit}): existing numbers keep working, but no new number can be added until there are fewer than {limit}");
    }

    private async Task<Outcome<AgentInfo>> AvailableAgent(string agentId)
    {
        if (!state.State.AgentIds.Contains(agentId) || await Agent(agentId).Get() is not { } agent)
            return Failure.NotFound(NumberRules.AgentNotFound);
        return agent.UnavailableReason is { } reason ? Failure.Invalid(reason) : agent;
    }

    /// <summary>A fallback agent must be the workspace's; it need not take calls now (the call path checks that per call).</summary>
    private Failure? FallbackFailure(NumberFallback? fallback)
    {
        if (FallbackRules.Validate(fallback) is { } invalid) return invalid;
        return fallback is { Kind: FallbackKind.Agent } && !state.State.AgentIds.Contains(fallback.Target)
            ? Failure.NotFound(NumberRules.AgentNotFound)
            : null;
    }

    private async Task<NumberAssignment?> OwnedAssignment(string trunkId, string phoneNumber)
    {
        if (!E164.IsValid(phoneNumber)) return null;
        var assignment = await Number(phoneNumber).GetAssignment();
        return assignment is not null && assignment.WorkspaceId == Id && assignment.TrunkId == trunkId ? assignment : null;
    }

    private async Task<NumberInfo> Describe(string phoneNumber, NumberAssignment a)
    {
        var agent = await Agent(a.AgentId).Get();
        return new NumberInfo(phoneNumber, a.TrunkId, a.AgentId, agent?.Title, a.Region, a.AdditionalParamsJson, a.CreatedAt, a.UpdatedAt, a.Fallback, a.RoutingHook);
    }

    private WorkspaceSummary Summary() =>
        new(Id, state.State.Name!, state.State.Plan, state.State.Plan.NumberLimit(), numberCount, state.State.CreatedAt);

    private static Failure WorkspaceNotFound => Failure.NotFound("Workspace not found");

    private static string Count(int numbers) => numbers == 1 ? "1 number" : $"{numbers} numbers";

    private IAgentWriter Agent(string agentId) => GrainFactory.GetGrain<IAgentWriter>(Contracts.Common.Ids.Scoped(Id, agentId));
    private ITrunkWriter Trunk(string trunkId) => GrainFactory.GetGrain<ITrunkWriter>(Contracts.Common.Ids.Scoped(Id, trunkId));
    private IPhoneNumberGrain Number(string phoneNumber) => GrainFactory.GetGrain<IPhoneNumberGrain>(phoneNumber);
}
