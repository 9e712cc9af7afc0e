namespace Convocore.Contracts.Numbers;

/// <summary>
/// One phone number, keyed by its E.164 string: the single authority on whether it is configured, which makes
/// numbers unique across all workspaces. Claim, reassign and release carry the id of the workspace operation
/// that asked, so a retried step is recognised rather than applied twice.
/// </summary>
[Alias("convocore.phone-number")]
public interface IPhoneNumberGrain : IGrainWithStringKey
{
    /// <summary>
    /// Interleaves with a change in progress, so the call path's lookups never queue behind one: a change that fails to
    /// store is undone and forgotten by every routing table.
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<NumberAssignment?> GetAssignment();

    /// <summary>True when the number is now held by <paramref name="assignment"/>'s operation.</summary>
    Task<bool> Claim(NumberAssignment assignment);

    /// <summary>The new assignment, or null when the number is not held by that workspace and trunk.</summary>
    Task<NumberAssignment?> Reassign(string workspaceId, string trunkId, string agentId, string? additionalParamsJson, bool replaceParams, Guid operationId,
        NumberFallback? fallback = null, bool? routingHook = null);

    /// <summary>True when the number was held by that workspace and trunk and is now free.</summary>
    Task<bool> Release(string workspaceId, string trunkId, Guid operationId);
}
