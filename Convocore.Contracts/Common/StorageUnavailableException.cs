namespace Convocore.Contracts.Common;

/// <summary>
/// Redis did not answer (timed out, refused the connection, was still loading its data): the request may succeed when
/// asked again shortly. StackExchange.Redis' own exceptions cannot cross the cluster (Orleans has no codec for them), so
/// the silos send each of them as this, its message naming the original.
/// </summary>
[GenerateSerializer, Alias("convocore.storage-unavailable")]
internal sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
    {
    }

    public StorageUnavailableException(string message) : base(message)
    {
    }
}
