using System.Net.WebSockets;
using System.Threading.Channels;

namespace Convocore.AriSimulator;

/// <summary>One /ari/events WebSocket: a single sender drains the queue so producers never wait on the socket.</summary>
internal sealed class EventSession(WebSocket socket, IReadOnlyList<string> applications)
{
    private readonly Channel<Outgoing> _queue =
        Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });

    public IReadOnlyList<string> Applications { get; } = applications;
    public WebSocket Socket { get; } = socket;

    public void Send(byte[] message, SimulatedCall? stasisStartOf = null) => _queue.Writer.TryWrite(new Outgoing(message, stasisStartOf));

    public void Abort()
    {
        _queue.Writer.TryComplete();
        Socket.Abort();
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
