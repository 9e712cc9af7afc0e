using System.Security.Cryptography;
using System.Text;
using Convocore.Contracts.Common;
using Convocore.Contracts.Workspaces;
using Orleans.Storage;

namespace Convocore.Silo.Workspaces;

[GenerateSerializer, Alias("convocore.api-keys-state")]
internal sealed class ApiKeysState
{
    [Id(0)] public List<ApiKeyRecord> Keys { get; set; } = [];
}

[GenerateSerializer, Immutable, Alias("convocore.api-key-record")]
internal sealed record ApiKeyRecord([property: Id(0)] string KeyId, [property: Id(1)] string SecretHash, [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>A workspace's API keys: the secret is shown once, at issue; only its hash is kept.</summary>
internal sealed class ApiKeysGrain(
    [PersistentState("api-keys")] IPersistentState<ApiKeysState> state,
    [FromKeyedServices(StoredState.Storage)] IGrainStorage storage,
    TimeProvider clock) : Grain, IApiKeysGrain
{
    private string WorkspaceId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
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
        state.State.Keys.Add(record);
        await state.WriteStateAsync();
        return new IssuedApiKey(record.KeyId, ApiKeys.Format(WorkspaceId, secret), record.CreatedAt);
    }

    public async Task<Outcome<Done>> Revoke(string keyId)
    {
        if (state.State.Keys.RemoveAll(k => k.KeyId == keyId) == 0) return Failure.NotFound("API key not found");
        await state.WriteStateAsync();
        return Done.Instance;
    }

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
