using System.Buffers;
using Convocore.Contracts.Common;
using Orleans.Persistence.Redis;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Serializers;
using Orleans.Serialization.WireProtocol;
using Orleans.Storage;
using StackExchange.Redis;

namespace Convocore.Silo;

/// <summary>
/// A grain call that failed because Redis did not answer leaves the silo as <see cref="StorageUnavailableException"/>,
/// so that callers (the web app above all) can tell "storage is away, ask again" from a bug. Grain storage reports Redis'
/// failures as RedisStorageException, our own Redis reads and writes throw StackExchange.Redis' exceptions, and either may
/// come wrapped (OrleansException from the storage bridge). An InconsistentStateException goes on as it is: Orleans
/// deactivates the grain on it, so that the next call reads the state afresh.
/// </summary>
internal sealed class StorageFailureFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (ex is not InconsistentStateException && StorageFailure(ex) is { } failure && failure is not StorageUnavailableException)
        {
            throw new StorageUnavailableException($"{failure.GetType().Name}: {failure.Message}");
        }
    }

    internal static Exception? StorageFailure(Exception exception) => exception switch
    {
        StorageUnavailableException or RedisStorageException or RedisException or RedisTimeoutException => exception,
        // StackExchange.Redis 2.13 lets the pipe's own error out when a command is written as the connection dies
        // ("Writing is not allowed after writer was completed"): Redis was killed, not a bug of ours.
        InvalidOperationException when exception.StackTrace?.Contains("at StackExchange.Redis.PhysicalConnection.", StringComparison.Ordinal) == true => exception,
        AggregateException aggregate => aggregate.InnerExceptions.Select(StorageFailure).FirstOrDefault(f => f is not null),
        { InnerException: { } inner } => StorageFailure(inner),
        _ => null,
    };
}

/// <summary>
/// Writes every StackExchange.Redis exception that leaves a silo some other way (an activation that failed reading
/// Redis, an exception inside another) as a <see cref="StorageUnavailableException"/>. Orleans has no codec of its own
/// for them: without this the caller gets CodecNotFoundException, which says nothing of Redis.
/// </summary>
internal sealed class RedisExceptionCodec : IGeneralizedCodec
{
    public bool IsSupportedType(Type type) =>
        typeof(RedisException).IsAssignableFrom(type) || typeof(RedisTimeoutException).IsAssignableFrom(type);

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, object? value)
        where TBufferWriter : IBufferWriter<byte>
    {
        var failure = (Exception)value!;
        var sent = new StorageUnavailableException($"{failure.GetType().Name}: {failure.Message}");
        writer.Session.CodecProvider.GetCodec(typeof(StorageUnavailableException)).WriteField(ref writer, fieldIdDelta, expectedType, sent);
    }

    /// <summary>Never on the wire: what this writes reads back as a <see cref="StorageUnavailableException"/>.</summary>
    public object ReadValue<TInput>(ref Reader<TInput> reader, Field field) =>
        throw new NotSupportedException("Redis exceptions are sent as StorageUnavailableException");
}
