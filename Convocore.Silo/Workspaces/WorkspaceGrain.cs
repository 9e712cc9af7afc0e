using System.Security.Cryptography;
using System.Text;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Contracts.Workspaces;
using Convocore.Silo.Agents;
using Convocore.Silo.Numbers;
using Convocore.Silo.Trunks;
using Orleans.Utilities;

namespace Convocore.Silo.Workspaces;

/// <summary>
/// Number changes follow "reservation with idempotent completion": the change is written into the workspace's
/// state first (pending), then the phone number grain is changed (the commit point: one write there), then the
/// Redis lists are brought in line, then the pending entry is removed. A crash at any step leaves a pending
/// entry, and <see cref="Settle"/> (on the next activation, or from the sweeper) completes the change from what
/// the phone number grain says, so a number ends up either fully configured or absent.
/// </summary>
internal sealed class WorkspaceGrain(
    [PersistentState("workspace")] IPersistentState<WorkspaceState> state,
    NumberIndex index,
    NumberChangeProbe probe,
    TimeProvider clock,
    ILogger<WorkspaceGrain> logger) : Grain, IWorkspaceGrain
{
    private const int MaxNameLength = 120;
    private readonly ObserverManager<IWorkspaceObserver> observers = new(WorkspaceObservers.Expiry, logger);
    private int numberCount;
    private bool markedPending;

    private string Id => this.GetPrimaryKeyString();
    private bool Exists => state.State.Name is not null;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!Exists) return;
        await Reconcile();
    }

    public async Task<Outcome<CreatedWorkspace>> Create(string name, Plan plan)
    {
        if (Exists) return Failure.Conflict("Workspace already exists");
        if (string.IsNullOrWhiteSpace(name)) return Failure.Invalid("Name is required");
        if (name.Length > MaxNameLength) return Failure.Invalid($"Name must be at most {MaxNameLength} characters");
        state.State.Name = name.Trim();
        state.State.Plan = plan;
        state.State.CreatedAt = clock.GetUtcNow();
        var key = NewApiKey();
        await state.WriteStateAsync();
        return new CreatedWorkspace(Summary(), key);
    }

    public Task<WorkspaceSummary?> Get() => Task.FromResult(Exists ? Summary() : null);

    public async Task<Outcome<WorkspaceSummary>> ChangePlan(Plan plan)
    {
        if (!Exists) return WorkspaceNotFound;
        state.State.Plan = plan;
        await state.WriteStateAsync();
        Changed(WorkspaceChangeKind.Plan);
        return Summary();
    }

    public async Task<Outcome<IssuedApiKey>> IssueApiKey()
    {
        if (!Exists) return WorkspaceNotFound;
        var key = NewApiKey();
        await state.WriteStateAsync();
        return key;
    }

    public async Task<Outcome<Done>> RevokeApiKey(string keyId)
    {
        if (!Exists) return WorkspaceNotFound;
        if (state.State.ApiKeys.RemoveAll(k => k.KeyId == keyId) == 0) return Failure.NotFound("API key not found");
        await state.WriteStateAsync();
        return Done.Instance;
    }

    public Task<bool> Authenticate(string secret)
    {
        var hash = Encoding.ASCII.GetBytes(ApiKeys.Hash(secret));
        var match = false;
        foreach (var key in state.State.ApiKeys)
        {
            match |= CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(key.SecretHash));
        }
        return Task.FromResult(match);
    }

    public async Task<Outcome<AgentInfo>> CreateAgent(AgentDraft draft)
    {
        if (!Exists) return WorkspaceNotFound;
        if (AgentRules.Validate(draft) is { } failure) return failure;
        var agentId = Contracts.Common.Ids.New();
        await Agent(agentId).Save(draft.Normalized());
        state.State.AgentIds.Add(agentId);
        await state.WriteStateAsync();
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
        await state.WriteStateAsync();
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
        if (QuotaFailure() is { } quotaFailure)
        {
            // A number that is configured already could not be added under any plan: say that, not the limit.
            return await Number(phoneNumber).GetAssignment() is null ? quotaFailure : Failure.Conflict(NumberRules.AlreadyExists);
        }
        if (state.State.Pending.ContainsKey(phoneNumber)) await Reconcile();

        var trunk = (await Trunk(command.TrunkId).Get())!;
        var now = clock.GetUtcNow();
        var assignment = new NumberAssignment(Id, command.TrunkId, command.AgentId, command.Region ?? trunk.Region,
            command.AdditionalParamsJson, now, now, Guid.NewGuid());
        var change = new PendingNumberChange(assignment.OperationId, NumberChangeKind.Add, phoneNumber, null, assignment);

        await Begin(change);
        try
        {
            if (!await Number(phoneNumber).Claim(assignment))
            {
                await Finish(change);
                return Failure.Conflict(NumberRules.AlreadyExists);
            }
            await probe.Committed(change.Kind, phoneNumber);
            await index.Move(phoneNumber, null, Entry(assignment));
            numberCount++;
            await Finish(change);
            Changed(WorkspaceChangeKind.Numbers, command.TrunkId, phoneNumber);
        }
        catch (Exception ex)
        {
            await SettleAfterFailure(change, ex);
            throw;
        }
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
        if (command.UnlessChangedFrom is { } expected && expected != new NumberSettings(current.AgentId, current.AdditionalParamsJson))
            return Failure.Conflict(ConcurrentEdits.ChangedMeanwhile);

        var change = new PendingNumberChange(Guid.NewGuid(), NumberChangeKind.Reassign, command.PhoneNumber, current, null);
        await Begin(change);
        NumberAssignment? updated;
        try
        {
            updated = await Number(command.PhoneNumber).Reassign(Id, command.TrunkId, command.AgentId,
                command.AdditionalParamsJson, replaceParams: true, change.OperationId);
            await probe.Committed(change.Kind, command.PhoneNumber);
            await index.Move(command.PhoneNumber, Entry(current), updated is null ? null : Entry(updated));
            await Finish(change);
            Changed(WorkspaceChangeKind.Numbers, command.TrunkId, command.PhoneNumber);
        }
        catch (Exception ex)
        {
            await SettleAfterFailure(change, ex);
            throw;
        }
        return updated is null ? Failure.NotFound(NumberRules.NumberNotFound) : await Describe(command.PhoneNumber, updated);
    }

    public async Task<Outcome<Done>> DeleteNumber(string trunkId, string phoneNumber)
    {
        if (!Exists) return WorkspaceNotFound;
        if (!state.State.TrunkIds.Contains(trunkId)) return Failure.NotFound(NumberRules.TrunkNotFound);
        if (await OwnedAssignment(trunkId, phoneNumber) is not { } current) return Failure.NotFound(NumberRules.NumberNotFound);

        var change = new PendingNumberChange(Guid.NewGuid(), NumberChangeKind.Delete, phoneNumber, current, null);
        await Begin(change);
        try
        {
            await Number(phoneNumber).Release(Id, trunkId, change.OperationId);
            await probe.Committed(change.Kind, phoneNumber);
            await index.Move(phoneNumber, Entry(current), null);
            numberCount--;
            await Finish(change);
            Changed(WorkspaceChangeKind.Numbers, trunkId, phoneNumber);
        }
        catch (Exception ex)
        {
            await SettleAfterFailure(change, ex);
            throw;
        }
        return Done.Instance;
    }

    public async Task Reconcile()
    {
        var settling = state.State.Pending.Count > 0;
        foreach (var change in state.State.Pending.Values.ToArray())
        {
            await Settle(change);
            state.State.Pending.Remove(change.PhoneNumber);
        }
        if (settling) await state.WriteStateAsync();
        await index.ClearPending(Id);
        // No longer marked in Redis: the next change must mark the workspace again, or a crash during it goes unswept.
        markedPending = false;
        numberCount = await index.CountInWorkspace(Id);
        if (settling) Changed(WorkspaceChangeKind.Numbers);
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

    private void Changed(WorkspaceChangeKind kind, string? trunkId = null, string? phoneNumber = null)
    {
        if (observers.Count == 0) return;
        var change = new WorkspaceChange(Id, kind, trunkId, phoneNumber);
        observers.Notify(o => { _ = o.Changed(change); });
    }

    /// <summary>Completes a change from what the phone number grain says happened. Safe to repeat.</summary>
    private async Task Settle(PendingNumberChange change)
    {
        var number = Number(change.PhoneNumber);
        var actual = await number.GetAssignment();
        var ours = actual is not null && actual.WorkspaceId == Id;
        switch (change.Kind)
        {
            case NumberChangeKind.Add:
                // The claim is the commit point: it landed, so finish the add; it did not, so there is nothing to undo.
                if (ours && actual!.OperationId == change.OperationId) await index.Move(change.PhoneNumber, null, Entry(actual));
                break;
            case NumberChangeKind.Reassign:
                await index.Move(change.PhoneNumber, Entry(change.Before!), ours ? Entry(actual!) : null);
                break;
            case NumberChangeKind.Delete:
                // The user asked for the delete and we wrote it down: finish it.
                if (ours) await number.Release(Id, actual!.TrunkId, change.OperationId);
                await index.Move(change.PhoneNumber, Entry(change.Before!), null);
                break;
        }
        logger.LogInformation("Settled an interrupted {Kind} of a number in workspace {WorkspaceId}", change.Kind, Id);
    }

    /// <summary>
    /// A change that failed and could not be settled yet may have given a number to an agent or trunk that the lists do not
    /// show yet: the counts are right only once it is settled. Throws (and the caller's delete fails) while it cannot be.
    /// </summary>
    private async Task SettlePending()
    {
        if (state.State.Pending.Count > 0) await Reconcile();
    }

    private async Task SettleAfterFailure(PendingNumberChange change, Exception failure)
    {
        logger.LogWarning(failure, "A {Kind} of a number in workspace {WorkspaceId} failed; settling it", change.Kind, Id);
        try
        {
            await Reconcile();
        }
        catch (Exception ex)
        {
            // Left pending: the sweeper settles it once the cluster answers again.
            logger.LogWarning(ex, "Settling workspace {WorkspaceId} failed; the sweeper will retry", Id);
        }
    }

    private async Task Begin(PendingNumberChange change)
    {
        state.State.Pending[change.PhoneNumber] = change;
        if (markedPending)
        {
            await state.WriteStateAsync();
            return;
        }
        await Task.WhenAll(state.WriteStateAsync(), index.MarkPending(Id));
        markedPending = true;
    }

    /// <summary>
    /// The workspace stays in the sweeper's pending set until the sweeper's next Reconcile clears it: clearing it here
    /// would cost every change one more durable Redis write, and each is an fsync.
    /// </summary>
    private async Task Finish(PendingNumberChange change)
    {
        state.State.Pending.Remove(change.PhoneNumber);
        await state.WriteStateAsync();
    }

    private Failure? QuotaFailure()
    {
        if (state.State.Plan.NumberLimit() is not { } limit) return null;
        var planName = state.State.Plan.ToString();
        var inUse = numberCount + state.State.Pending.Values.Count(c => c.Kind == NumberChangeKind.Add);
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

    private async Task<NumberAssignment?> OwnedAssignment(string trunkId, string phoneNumber)
    {
        if (!E164.IsValid(phoneNumber)) return null;
        var assignment = await Number(phoneNumber).GetAssignment();
        return assignment is not null && assignment.WorkspaceId == Id && assignment.TrunkId == trunkId ? assignment : null;
    }

    private async Task<NumberInfo> Describe(string phoneNumber, NumberAssignment a)
    {
        var agent = await Agent(a.AgentId).Get();
        return new NumberInfo(phoneNumber, a.TrunkId, a.AgentId, agent?.Title, a.Region, a.AdditionalParamsJson, a.CreatedAt, a.UpdatedAt);
    }

    private IssuedApiKey NewApiKey()
    {
        var secret = ApiKeys.NewSecret();
        var record = new ApiKeyRecord(Contracts.Common.Ids.New(), ApiKeys.Hash(secret), clock.GetUtcNow());
        state.State.ApiKeys.Add(record);
        return new IssuedApiKey(record.KeyId, ApiKeys.Format(Id, secret), record.CreatedAt);
    }

    private WorkspaceSummary Summary() =>
        new(Id, state.State.Name!, state.State.Plan, state.State.Plan.NumberLimit(), numberCount, state.State.CreatedAt);

    private static Failure WorkspaceNotFound => Failure.NotFound("Workspace not found");

    private static string Count(int numbers) => numbers == 1 ? "1 number" : $"{numbers} numbers";

    private IndexEntry Entry(NumberAssignment a) => new(a.WorkspaceId, a.TrunkId, a.AgentId);

    private IAgentWriter Agent(string agentId) => GrainFactory.GetGrain<IAgentWriter>(Contracts.Common.Ids.Scoped(Id, agentId));
    private ITrunkWriter Trunk(string trunkId) => GrainFactory.GetGrain<ITrunkWriter>(Contracts.Common.Ids.Scoped(Id, trunkId));
    private IPhoneNumberGrain Number(string phoneNumber) => GrainFactory.GetGrain<IPhoneNumberGrain>(phoneNumber);
}
