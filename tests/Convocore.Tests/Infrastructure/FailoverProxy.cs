using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Convocore.Tests.Infrastructure;

/// <summary>
/// A TCP forwarder in front of web replicas, as a load balancer without sticky sessions would be: each new connection
/// goes to the first backend that accepts it, so when that one dies its connections break and the next ones reach the
/// next backend. Counts the connections each backend was given.
/// </summary>
internal sealed class FailoverProxy : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly IReadOnlyList<Uri> backends;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Uri, int> served = new();
    private readonly ConcurrentBag<TcpClient> open = [];
    private readonly Task accepting;

    public FailoverProxy(params Uri[] backends)
    {
        this.backends = backends;
        listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        accepting = AcceptAsync();
    }

    public Uri Address { get; }

    public int ConnectionsTo(Uri backend) => served.GetValueOrDefault(backend);

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            open.Add(client);
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        {
            foreach (var backend in backends)
            {
                using var upstream = new TcpClient();
                try
                {
                    using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                    connectTimeout.CancelAfter(TimeSpan.FromSeconds(2));
                    await upstream.ConnectAsync(backend.Host, backend.Port, connectTimeout.Token);
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    continue; // dead: the next one
                }
                served.AddOrUpdate(backend, 1, (_, count) => count + 1);
                open.Add(upstream);
                var downstream = client.GetStream();
                var toBackend = upstream.GetStream();
                // Either side closing or breaking ends both, as a proxy's connection ends with its backend's.
                await Task.WhenAny(Copy(downstream, toBackend), Copy(toBackend, downstream));
                return;
            }
        }
    }

    private async Task Copy(NetworkStream from, NetworkStream to)
    {
        try
        {
            await from.CopyToAsync(to, stopping.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        foreach (var client in open) client.Dispose();
        await accepting;
        stopping.Dispose();
    }
}
