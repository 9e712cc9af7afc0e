using Convocore.Contracts.Common;
using Orleans.Concurrency;

namespace Convocore.Contracts.Workspaces;

/// <summary>
/// The API keys of one workspace (keyed by the workspace id). A grain of their own, apart from the workspace grain, so
/// that authenticating a request never waits behind a number change in flight.
/// </summary>
[Alias("convocore.api-keys")]
public interface IApiKeysGrain : IGrainWithStringKey, Audit.IAuditedGrain
{
    Task<IssuedApiKey> Issue();
    Task<Outcome<Done>> Revoke(string keyId);

    /// <summary>The id of the live key whose secret this is, or null.</summary>
    [ReadOnly]
    Task<string?> Authenticate(string secret);

    [ReadOnly]
    Task<bool> IsLive(string keyId);
}
