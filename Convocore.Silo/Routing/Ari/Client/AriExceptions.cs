using System.Net;

namespace Convocore.Silo.Routing.Ari;

/// <summary>Asterisk answered a command with a non-2xx status.</summary>
internal sealed class AriRequestException(int statusCode, string method, string path, string? serverMessage)
    : Exception($"ARI {method} {path} failed with {statusCode}: {serverMessage}")
{
    public int StatusCode { get; } = statusCode;
    public string? ServerMessage { get; } = serverMessage;

    public bool IsNotFound => StatusCode == (int)HttpStatusCode.NotFound;

    /// <summary>
    /// The channel is gone: normal when the caller hung up before our command arrived. A subscription to a vanished
    /// channel answers 422 ("Event source does not exist") rather than 404.
    /// </summary>
    public bool IsChannelGone => StatusCode is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.UnprocessableEntity;
}

/// <summary>The events WebSocket closed while a command sent over it was waiting for its answer.</summary>
internal sealed class AriDisconnectedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Why the events WebSocket ended.</summary>
internal sealed record AriDisconnect(string Reason, Exception? Error);
