using System.Net;
using System.Net.Sockets;

namespace Convocore.Silo.Outbound;

/// <summary>A connection to a customer's URL was refused: every address its host resolved to is one we never reach.</summary>
internal sealed class OutboundRefusedException(string host) : HttpRequestException($"{host} resolves only to addresses outbound requests may not reach");

/// <summary>
/// The HttpClient for requests to customers' URLs (webhooks, the routing hook). The address is judged on the socket
/// itself (the connect callback resolves the host, drops forbidden addresses, connects, then checks the peer it got),
/// so a host that resolves to our network at send time is refused even if it did not when saved. Redirects are not
/// followed and no proxy is used (a proxy would make the connected address the proxy's). Not from IHttpClientFactory:
/// the service defaults add a retrying resilience handler to those, and retries here are the caller's, on its schedule.
/// </summary>
internal sealed class OutboundHttp : IDisposable
{
    public const string UserAgent = "Convocore-Webhooks/1.0";

    public OutboundHttp(OutboundTargets targets)
    {
        var allowPrivate = targets.AllowPrivate;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            // DNS answers change; a pooled connection keeps the address it was judged on, for at most this long.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxConnectionsPerServer = 32,
            ConnectCallback = (context, token) => Connect(context.DnsEndPoint, allowPrivate, token),
        };
        Client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        Client.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
    }

    public HttpClient Client { get; }

    public static async ValueTask<Stream> Connect(DnsEndPoint endpoint, bool allowPrivate, CancellationToken token)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, token);
        var allowed = allowPrivate ? addresses : addresses.Where(a => !OutboundAddresses.IsForbidden(a)).ToArray();
        if (allowed.Length == 0) throw new OutboundRefusedException(endpoint.Host);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, token);
            if (!allowPrivate && (socket.RemoteEndPoint is not IPEndPoint peer || OutboundAddresses.IsForbidden(peer.Address)))
                throw new OutboundRefusedException(endpoint.Host);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => Client.Dispose();
}
