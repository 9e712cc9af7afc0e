using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Convocore.AriSimulator;

/// <summary>
/// An Asterisk stand-in on Kestrel: the ARI routes Convocore uses, checked against the API description files, the
/// /ari/events WebSocket (with REST over WebSocket on versions that have it), calls entering Stasis, fault injection.
/// </summary>
public sealed partial class AriSimulator : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SimulatedCall> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, EventSession> _activeSessionByApp = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<EventSession, byte> _openSessions = new();
    private readonly ConcurrentDictionary<string, byte> _registeredApps = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<ReceivedCommand> _commands = new();
    private readonly long _channelIdPrefix = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private readonly DateTime _startupUtc = DateTime.UtcNow;
    private long _lastChannelSequence;
    private int _failNextCommands;
    private volatile CommandFault _commandFault;
    private long _responseDelayTicks;
    private int _port;
    private WebApplication? _host;
    private CancellationTokenSource? _running;
    private ApiRoutes _routes = null!;
    private bool _restOverWebSocket;
    private string _expectedCredentials = "";

    private static readonly AsteriskVersion[] RestOverWebSocketSince = [new(20, 13, 0), new(21, 8, 0), new(22, 3, 0)];

    public AriSimulator(AriSimulatorOptions? options = null) => Options = options ?? new AriSimulatorOptions();

    /// <summary>Read at each start, so a restart can also change the version or credentials.</summary>
    public AriSimulatorOptions Options { get; }

    /// <summary>Asterisk's clock: channel creation times and event timestamps.</summary>
    private DateTime UtcNow => Options.Clock.GetUtcNow().UtcDateTime;

    /// <summary>http://127.0.0.1:{port}; the port stays the same across restarts.</summary>
    public Uri BaseUrl => _port == 0 ? throw new InvalidOperationException("Not started.") : new Uri($"http://127.0.0.1:{_port}");

    public bool IsRunning => _host is not null;

    /// <summary>Every REST request will wait this long before it is processed.</summary>
    public TimeSpan ResponseDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _responseDelayTicks));
        set => Interlocked.Exchange(ref _responseDelayTicks, value.Ticks);
    }

    /// <summary>All REST requests received (when <see cref="AriSimulatorOptions.RecordCommands"/>), in arrival order.</summary>
    public IReadOnlyList<ReceivedCommand> Commands => _commands.ToArray();

    /// <summary>The next <paramref name="count"/> commands (anything but GET /asterisk/info) fail with 500.</summary>
    public void FailNextCommands(int count) => Interlocked.Exchange(ref _failNextCommands, count);

    /// <summary>
    /// While not <see cref="Convocore.AriSimulator.CommandFault.None"/>, every command (anything but GET /asterisk/info)
    /// fails that way, over HTTP and over the WebSocket alike, until set back to None.
    /// </summary>
    public CommandFault CommandFault
    {
        get => _commandFault;
        set => _commandFault = value;
    }

    /// <summary>Open /ari/events WebSockets that asked for <paramref name="application"/>, replaced ones included.</summary>
    public int GetEventConnectionCount(string application) =>
        _openSessions.Keys.Count(s => s.Applications.Contains(application, StringComparer.Ordinal));

    /// <summary>Waits until the simulator has seen event connections for the application open or close.</summary>
    public async Task WaitForEventConnectionCountAsync(string application, int count, CancellationToken cancellationToken = default)
    {
        while (GetEventConnectionCount(application) != count || (count > 0) != _activeSessionByApp.ContainsKey(application))
            await Task.Delay(5, cancellationToken);
    }

    /// <summary>Breaks every events WebSocket without a close handshake, as a network failure would.</summary>
    public void DropEventConnections()
    {
        foreach (var session in _openSessions.Keys) session.Abort();
    }

    public SimulatedCall? FindCall(string channelId) => _calls.GetValueOrDefault(channelId);

    public int ActiveCallCount => _calls.Count;

    /// <summary>Listens on 127.0.0.1: a free port the first time, the same port on later starts.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_host is not null) throw new InvalidOperationException("Already running.");

        _routes = new ApiRoutes(AsteriskVersion.Parse(Options.AsteriskVersion));
        _restOverWebSocket = AsteriskVersion.Parse(Options.AsteriskVersion).Supports(RestOverWebSocketSince);
        _expectedCredentials = $"{Options.Username}:{Options.Password}";

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AriSimulator).Assembly.GetName().Name,
            EnvironmentName = "Production",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _port));
        var host = builder.Build();
        host.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        host.Run(HandleHttpAsync);

        _running = new CancellationTokenSource();
        await host.StartAsync(cancellationToken);
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _port = new Uri(address).Port;
        _host = host;
    }

    /// <summary>Goes down: open WebSockets break and new connections are refused until the next start. Calls stay.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_host is not { } host) return;
        _host = null;
        await _running!.CancelAsync();
        DropEventConnections();
        await host.StopAsync(cancellationToken);
        await host.DisposeAsync();
        _running.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task HandleHttpAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/ari", out var rest))
        {
            await WriteAsync(context, ErrorResponse(404, "Resource not found"));
            return;
        }

        var query = ParseQuery(request.QueryString.Value);
        if (!IsAuthorized(request, query))
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"Asterisk REST Interface\"";
            await WriteAsync(context, ErrorResponse(401, "Authentication required"));
            return;
        }

        var path = rest.Value!.Trim('/');
        if (path == "events")
        {
            await HandleEventsAsync(context, query);
            return;
        }

        string? body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8))
            body = await reader.ReadToEndAsync(context.RequestAborted);
        var response = await ExecuteAsync("http", request.Method, path, query, body.Length == 0 ? null : body, context.RequestAborted);
        if (response == Unanswered)
        {
            // Held until the client gives up (or the simulator stops), as a hung Asterisk would.
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }
        await WriteAsync(context, response);
    }

    private static async Task WriteAsync(HttpContext context, SimulatedResponse response)
    {
        context.Response.StatusCode = response.StatusCode;
        if (response.Body is null) return;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.Body, context.RequestAborted);
    }

    private bool IsAuthorized(HttpRequest request, List<KeyValuePair<string, string>> query)
    {
        foreach (var (name, value) in query)
            if (name == "api_key") return value == _expectedCredentials;

        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())) == _expectedCredentials;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Keeps order and repeats; like Asterisk, a raw '+' decodes to a space.</summary>
    internal static List<KeyValuePair<string, string>> ParseQuery(string? queryString)
    {
        var query = new List<KeyValuePair<string, string>>();
        if (string.IsNullOrEmpty(queryString)) return query;
        foreach (var pair in queryString.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            var value = equals < 0 ? "" : pair[(equals + 1)..];
            query.Add(new(Decode(name), Decode(value)));
        }
        return query;

        static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
    }

    private async Task HandleEventsAsync(HttpContext context, List<KeyValuePair<string, string>> query)
    {
        var applications = query.Where(q => q.Key == "app")
            .SelectMany(q => q.Value.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await WriteAsync(context, ErrorResponse(426, "WebSocket upgrade required"));
            return;
        }
        if (applications.Length == 0)
        {
            await WriteAsync(context, ErrorResponse(400, "Missing required parameter 'app'"));
            return;
        }

        var session = new EventSession(applications);
        _openSessions[session] = 0;
        foreach (var application in applications) Register(application, session);
        try
        {
            var subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains("ari") ? "ari" : null;
            using var socket = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
            session.Attach(socket);
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _running!.Token);
            var sendLoop = session.SendLoopAsync(stopping.Token);
            await ReceiveLoopAsync(session, stopping.Token);
            session.Complete();
            await sendLoop;
        }
        finally
        {
            _openSessions.TryRemove(session, out _);
            foreach (var application in applications)
                _activeSessionByApp.TryRemove(new KeyValuePair<string, EventSession>(application, session));
            session.Complete();
        }
    }

    /// <summary>The newest WebSocket wins the application; the previous one is told so (and hears nothing more).</summary>
    private void Register(string application, EventSession session)
    {
        _registeredApps[application] = 0;
        EventSession? replaced = null;
        _activeSessionByApp.AddOrUpdate(application, session, (_, previous) =>
        {
            replaced = previous;
            return session;
        });
        if (replaced is null || !IsAllowed(application, "ApplicationReplaced")) return;
        var writer = EventWriter.Rent();
        EventWriter.StartEvent(writer, "ApplicationReplaced"u8, UtcNow);
        EventWriter.EndEvent(writer, Options.AsteriskId, application);
        replaced.Send(EventWriter.Finish());
    }

    private async Task ReceiveLoopAsync(EventSession session, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var count = 0;
        try
        {
            while (true)
            {
                if (count == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                var result = await session.Socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await session.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", cancellationToken);
                    return;
                }

                count += result.Count;
                if (!result.EndOfMessage) continue;
                if (result.MessageType == WebSocketMessageType.Text && _restOverWebSocket)
                    await HandleRestRequestAsync(session, buffer.AsMemory(0, count), cancellationToken);
                count = 0;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Dropped, replaced by a restart, or stopped: the finally of the caller cleans up.
        }
    }

    private async Task HandleRestRequestAsync(EventSession session, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        RestRequest? request;
        try
        {
            request = RestRequest.Parse(message.Span);
        }
        catch (JsonException)
        {
            return; // Asterisk logs and ignores what it cannot parse.
        }
        if (request is null) return;

        var uri = request.Uri.TrimStart('/');
        var questionMark = uri.IndexOf('?');
        var path = questionMark < 0 ? uri : uri[..questionMark];
        var query = questionMark < 0 ? [] : ParseQuery(uri[(questionMark + 1)..]);
        query.AddRange(request.QueryStrings);

        var response = await ExecuteAsync("websocket", request.Method, path, query, request.MessageBody, cancellationToken);
        if (response == Unanswered) return;
        // The reply travels as an event, so the application's event filter applies to it too (as on Asterisk 23.4.1).
        if (!IsAllowed(session.Applications[0], "RESTResponse")) return;
        WriteRestResponse(EventWriter.Rent(), session.Applications[0], request, response);
        session.Send(EventWriter.Finish());
    }
}
