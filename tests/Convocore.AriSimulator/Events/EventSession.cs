using System.Net.WebSockets;
using System.Threading.Channels;

namespace Convocore.AriSimulator;

/// <summary>
/// One /ari/events WebSocket: a single sender drains the queue so producers never wait on the socket. It exists (and
/// queues events) from before the handshake completes, so a call placed right after a client connected reaches it.
/// </summary>
internal sealed class EventSession(IReadOnlyList<string> applications)
{
    private WebSocket? _socket;
    private volatile bool _aborted;

    private readonly Channel<Outgoing> _queue =
        Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });

    public IReadOnlyList<string> Applications { get; } = applications;
    public WebSocket Socket => _socket ?? throw new InvalidOperationException("The handshake has not completed.");

    public void Attach(WebSocket socket)
    {
        _socket = socket;
        if (_aborted) socket.Abort(); // dropped during the handshake
    }

    public void Send(byte[] message, SimulatedCall? stasisStartOf = null) => _queue.Writer.TryWrite(new Outgoing(message, stasisStartOf));

    public void Abort()
    {
        _aborted = true;
        _queue.Writer.TryComplete();
        _socket?.Abort();
    }

    public async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var outgoing))
                {
                    outgoing.StasisStartOf?.MarkStasisStartSent();
                    await Socket.SendAsync(outgoing.Message, WebSocketMessageType.Text, true, cancellationToken);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The receive side notices the same failure and ends the session.
        }
    }

    public void Complete() => _queue.Writer.TryComplete();

    private readonly record struct Outgoing(byte[] Message, SimulatedCall? StasisStartOf);
}
