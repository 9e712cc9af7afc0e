using System.Security.Cryptography;
using System.Text;
using Convocore.Contracts.Audit;
using Convocore.Contracts.Common;
using Convocore.Contracts.Workspaces;
using Convocore.Silo.Audit;
using Orleans.Storage;

namespace Convocore.Silo.Workspaces;

[GenerateSerializer, Alias("convocore.api-keys-state")]
internal sealed class ApiKeysState
{
    [Id(0)] public List<ApiKeyRecord> Keys { get; set; } = [];
    /// <summary>Audit entries of the last change, written with it (<see cref="AuditOutbox"/>).</summary>
    [Id(1)] public List<AuditEntry> Audit { get; set; } = [];
}

[GenerateSerializer, Immutable, Alias("convocore.api-key-record")]
internal sealed record ApiKeyRecord([property: Id(0)] string KeyId, [property: Id(1)] string SecretHash, [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>A workspace's API keys: the secret is shown once, at issue; only its hash is kept.</summary>
internal sealed class ApiKeysGrain(
    [PersistentState("api-keys")] IPersistentState<ApiKeysState> state,
    [FromKeyedServices(StoredState.Storage)] IGrainStorage storage,
    TimeProvider clock,
    AuditLog audit,
    ILogger<ApiKeysGrain> logger) : Grain, IApiKeysGrain
{
    private AuditOutbox outbox = null!;

    private string WorkspaceId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        outbox = new AuditOutbox(audit, WorkspaceId, AuditOutbox.Member(AuditOutboxSweeper.ApiKeys, WorkspaceId), logger);
        await outbox.Recover(state.State.Audit);
        if (state.RecordExists) return;
        // Keys issued before they had a grain of their own are in the workspace's state: take them over once.
        var workspace = await storage.Read<WorkspaceState>(WorkspaceGrain.StateName, GrainFactory.GetGrain<IWorkspaceGrain>(WorkspaceId).GetGrainId());
        if (workspace?.ApiKeys is not { Count: > 0 } legacy) return;
        state.State.Keys.AddRange(legacy);
        await state.WriteStateAsync(cancellationToken);
    }

    public async Task<IssuedApiKey> Issue()
    {
        var secret = ApiKeys.NewSecret();
        var record = new ApiKeyRecord(Ids.New(), ApiKeys.Hash(secret), clock.GetUtcNow());
        var entry = AuditLog.Entry(AuditActions.ApiKeyCreated, AuditTargets.ApiKey, record.KeyId, null, Shown(record), outbox.Actor, record.CreatedAt);
        state.State.Keys.Add(record);
        await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.Keys.Remove(record)));
        return new IssuedApiKey(record.KeyId, ApiKeys.Format(WorkspaceId, secret), record.CreatedAt);
    }

    public async Task<Outcome<Done>> Revoke(string keyId)
    {
        if (state.State.Keys.Find(k => k.KeyId == keyId) is not { } record) return Failure.NotFound("API key not found");
        var entry = AuditLog.Entry(AuditActions.ApiKeyRevoked, AuditTargets.ApiKey, keyId, Shown(record), null, outbox.Actor, outbox.Now);
        state.State.Keys.Remove(record);
        await outbox.Write(state.State.Audit, [entry], () => state.WriteStateAsync(), () => WriteFailed(() => state.State.Keys.Add(record)));
        return Done.Instance;
    }

    public Task FlushAudit() => outbox.Flush(state.State.Audit);

    /// <summary>Puts memory back; a write that timed out may still have landed, so the next activation reads what Redis holds (entries included).</summary>
    private void WriteFailed(Action undo)
    {
        undo();
        DeactivateOnIdle();
    }

    /// <summary>What the log shows of a key: never its hash.</summary>
    private static System.Text.Json.Nodes.JsonObject Shown(ApiKeyRecord key) => new() { ["keyId"] = key.KeyId, ["createdAt"] = key.CreatedAt };

    public Task<string?> Authenticate(string secret)
    {
        var hash = Encoding.ASCII.GetBytes(ApiKeys.Hash(secret));
        string? match = null;
        // Every key is compared, in constant time, so the answer's timing tells nothing about how close a guess was.
        foreach (var key in state.State.Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(key.SecretHash))) match = key.KeyId;
        }
        return Task.FromResult(match);
    }

    public Task<bool> IsLive(string keyId) => Task.FromResult(state.State.Keys.Exists(k => k.KeyId == keyId));
}
