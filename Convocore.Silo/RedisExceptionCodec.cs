using System.Buffers;
using Convocore.Contracts.Common;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Serializers;
using Orleans.Serialization.WireProtocol;
using StackExchange.Redis;

namespace Convocore.Silo;

/// <summary>
/// Writes every StackExchange.Redis exception (RedisTimeoutException, RedisConnectionException, RedisServerException …)
/// that leaves a silo, thrown or inside another exception, as a <see cref="StorageUnavailableException"/>. Orleans has no
/// codec of its own for them: without this, a Redis timeout in a grain reaches its caller as CodecNotFoundException, which
/// says nothing of Redis, and the web app cannot tell it from a bug.
/// </summary>
internal sealed class RedisExceptionCodec : IGeneralizedCodec
{
    public bool IsSupportedType(Type type) =>
        typeof(RedisException).IsAssignableFrom(type) || typeof(RedisTimeoutException).IsAssignableFrom(type);

    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type expectedType, object value)
        where TBufferWriter : IBufferWriter<byte>
    {
        var failure = (Exception)value;
        var sent = new StorageUnavailableException($"{failure.GetType().Name}: {failure.Message}");
        writer.Session.CodecProvider.GetCodec(typeof(StorageUnavailableException)).WriteField(ref writer, fieldIdDelta, expectedType, sent);
    }

    /// <summary>Never on the wire: what this writes reads back as a <see cref="StorageUnavailableException"/>.</summary>
    public object ReadValue<TInput>(ref Reader<TInput> reader, Field field) =>
        throw new NotSupportedException("Redis exceptions are sent as StorageUnavailableException");
}
