using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Convocore.Silo.Routing.Ari;

/// <summary>
/// One events connection to one Asterisk server for one Stasis application, plus the commands we send per call.
/// Single use: once <see cref="Disconnected"/> completes, reconnecting means creating a new client.
/// </summary>
internal sealed class AriClient : IAsyncDisposable
{
    private const int InitialReceiveBufferSize = 16 * 1024;

    private readonly AriConnectionSettings _settings;
    private readonly string _authorization;
    private readonly HttpClient _http;
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _shutdown = new();
    // The reader runs on the receive loop's thread when it is waiting: a StasisStart is handled without a thread pool
    // hop (its handler returns at its first await, so the loop is never held up for longer than that).
    private readonly Channel<AriEvent> _events = System.Threading.Channels.Channel.CreateUnbounded<AriEvent>(
        new UnboundedChannelOptions { SingleWriter = true, AllowSynchronousContinuations = true });
    private readonly Channel<PendingRequest> _outgoing =
        System.Threading.Channels.Channel.CreateUnbounded<PendingRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<long, PendingRequest> _pending = new();
    private readonly TaskCompletionSource<AriDisconnect> _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastRequestId;
    private AriRoutes? _routes;
    private Task _receiveLoop = Task.CompletedTask;
    private Task _sendLoop = Task.CompletedTask;

    public AriClient(AriConnectionSettings settings)
    {
        _settings = settings;
        _authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.Username}:{settings.Password}"));
        // No HttpClient span nor trace header per request: each request has its ARI span already (AriTracing), and
        // Asterisk reads no trace context.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ActivityHeadersPropagator = null })
        {
            BaseAddress = new Uri(settings.BaseUrl.AbsoluteUri.TrimEnd('/') + "/ari/"),
            Timeout = settings.RequestTimeout,
        };
        _http.DefaultRequestHeaders.Authorization = AuthenticationHeaderValue.Parse(_authorization);
    }

    /// <summary>The routes chosen from the server version and the settings; available after <see cref="ConnectAsync"/>.</summary>
    public AriRoutes Routes => _routes ?? throw new InvalidOperationException("ConnectAsync has not completed.");

    public AsteriskInfo? ServerInfo { get; private set; }

    /// <summary>Events of the handled types in arrival order; completes when the connection ends.</summary>
    public ChannelReader<AriEvent> Events => _events.Reader;

    /// <summary>Completes (never faults) when the events WebSocket has closed or failed.</summary>
    public Task<AriDisconnect> Disconnected => _disconnected.Task;

    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(new AriRequest(AriTracing.AsteriskInfo, HttpMethod.Get, "asterisk/info"), cancellationToken);
        ServerInfo = JsonSerializer.Deserialize(response.Body ?? "{}", AriJsonContext.Default.AsteriskInfo);
        var routes = AriRoutes.Choose(ServerInfo?.System?.Version ?? "", _settings);

        _socket.Options.SetRequestHeader("Authorization", _authorization);
        // A connection Asterisk has given up on can stay open at the TCP level (seen after a write timeout on its side):
        // an unanswered ping ends it, so we reconnect instead of waiting for events that will never come.
        _socket.Options.KeepAliveInterval = _settings.KeepAliveInterval;
        _socket.Options.KeepAliveTimeout = _settings.KeepAliveInterval;
        await _socket.ConnectAsync(EventsUri(), cancellationToken);

        _routes = routes;
        _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        if (routes.Transport == AriCommandTransport.WebSocket)
            _sendLoop = Task.Run(SendLoopAsync, CancellationToken.None);
    }

    /// <summary>
    /// One request on servers with the bulk route, else one request per variable; over HTTP unless
    /// <see cref="AriConnectionSettings.VariablesOverWebSocket"/>. Asterisk runs the
    /// requests of one events WebSocket one after another, and setting variables waits for the channel's own thread:
    /// over the WebSocket each call's variables held up every other call's commands (200 calls/s on the real Asterisk:
    /// mean INVITE → 200 OK 381 ms, against 9 ms with the variables over HTTP; BENCHMARKS.md).
    /// </summary>
    public Task SetChannelVariablesAsync(
        string channelId, IReadOnlyCollection<KeyValuePair<string, string>> variables, CancellationToken cancellationToken = default)
    {
        if (variables.Count == 0) return Task.CompletedTask;

        if (Routes.Variables == AriVariableRoute.Bulk)
        {
            var body = VariablesBody(variables);
            return SendAsync(new AriRequest(AriTracing.SetVariables, HttpMethod.Post, ChannelPath(channelId, "/variables"), JsonBody: body), cancellationToken,
                Routes.VariablesTransport);
        }

        var sets = new List<Task>(variables.Count);
        foreach (var (name, value) in variables)
            sets.Add(SendAsync(
                new AriRequest(AriTracing.SetVariable, HttpMethod.Post, ChannelPath(channelId, "/variable"), [new("variable", name), new("value", value)]),
                cancellationToken, Routes.VariablesTransport));
        return Task.WhenAll(sets);
    }

    /// <summary>The body of POST /channels/{id}/variables: <c>{"variables": {"NAME": "value", ...}}</c>.</summary>
    private static byte[] VariablesBody(IReadOnlyCollection<KeyValuePair<string, string>> variables)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("variables"u8);
            foreach (var (name, value) in variables) writer.WriteString(name, value);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public Task ContinueAsync(
        string channelId, string context, string extension, int priority, CancellationToken cancellationToken = default) =>
        SendAsync(new AriRequest(AriTracing.Continue, HttpMethod.Post, ChannelPath(channelId, "/continue"),
        [
            new("context", context),
            new("extension", extension),
            new("priority", priority.ToString(CultureInfo.InvariantCulture)),
        ]), cancellationToken);

    /// <summary>
    /// POST /channels: dials <paramref name="endpoint"/> (e.g. <c>Local/+15551234567@from-trunk</c>) and, once it answers,
    /// runs <paramref name="context"/>,s,1 on the new channel. For a Local channel the second half gets
    /// <paramref name="otherChannelId"/>; variables named with a leading "_" are inherited by it.
    /// </summary>
    public Task OriginateAsync(string endpoint, string channelId, string otherChannelId, string context, string callerId,
        int timeoutSeconds, IReadOnlyCollection<KeyValuePair<string, string>> variables, CancellationToken cancellationToken = default) =>
        SendAsync(new AriRequest(AriTracing.Originate, HttpMethod.Post, "channels",
        [
            new("endpoint", endpoint),
            new("context", context),
            new("extension", "s"),
            new("priority", "1"),
            new("callerId", callerId),
            new("timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture)),
            new("channelId", channelId),
            new("otherChannelId", otherChannelId),
        ], VariablesBody(variables)), cancellationToken);

    /// <param name="reason">One of the allowed values in channels.json: normal, busy, congestion, unallocated, ...</param>
    public Task HangupAsync(string channelId, string reason = "normal", CancellationToken cancellationToken = default) =>
        SendAsync(new AriRequest(AriTracing.Hangup, HttpMethod.Delete, ChannelPath(channelId, ""), [new("reason", reason)]), cancellationToken);

    /// <summary>
    /// Asks Asterisk to send the application only these event types (PUT /applications/{app}/eventFilter, since 13.26).
    /// Each event of a subscribed channel's dialplan otherwise costs Asterisk a JSON document and a WebSocket frame.
    /// </summary>
    public Task FilterEventsAsync(IReadOnlyList<string> allowedTypes, CancellationToken cancellationToken = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new EventFilterBody([.. allowedTypes.Select(type => new EventTypeName(type))]), AriJsonContext.Default.EventFilterBody);
        return SendAsync(new AriRequest(AriTracing.EventFilter, HttpMethod.Put, $"applications/{Uri.EscapeDataString(_settings.Application)}/eventFilter",
            JsonBody: body), cancellationToken);
    }

    /// <param name="eventSource">e.g. "channel:1795526750.167"</param>
    public Task SubscribeAsync(string application, string eventSource, CancellationToken cancellationToken = default) =>
        SendAsync(new AriRequest(AriTracing.Subscribe, HttpMethod.Post, $"applications/{Uri.EscapeDataString(application)}/subscription",
            [new("eventSource", eventSource)]), cancellationToken);

    public async Task<IReadOnlyList<Channel>> GetChannelsAsync(CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(new AriRequest(AriTracing.Channels, HttpMethod.Get, "channels"), cancellationToken);
        return JsonSerializer.Deserialize(response.Body ?? "[]", AriJsonContext.Default.ListChannel) ?? [];
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The connection is going away anyway.
            }
        }

        await _shutdown.CancelAsync();
        await Task.WhenAll(_receiveLoop, _sendLoop);
        _disconnected.TrySetResult(new AriDisconnect("disposed", null));
        _socket.Dispose();
        _http.Dispose();
        _shutdown.Dispose();
    }

    private Uri EventsUri()
    {
        var root = _settings.BaseUrl.AbsoluteUri.TrimEnd('/');
        var scheme = _settings.BaseUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return new Uri($"{scheme}{root[_settings.BaseUrl.Scheme.Length..]}/ari/events?app={Uri.EscapeDataString(_settings.Application)}");
    }

    private static string ChannelPath(string channelId, string suffix) => $"channels/{Uri.EscapeDataString(channelId)}{suffix}";

    /// <param name="transport">Where the routes send this kind of request; commands' transport when not given.</param>
    private async Task<AriResponse> SendAsync(AriRequest request, CancellationToken cancellationToken, AriCommandTransport? transport = null)
    {
        var over = transport ?? _routes?.Transport ?? AriCommandTransport.Http;
        using var span = AriTracing.Start(request.Name, over);
        AriResponse response;
        try
        {
            response = over == AriCommandTransport.WebSocket
                ? await SendOverWebSocketAsync(request, cancellationToken)
                : await SendOverHttpAsync(request, cancellationToken);
        }
        catch (Exception ex)
        {
            AriTracing.Failed(span, ex);
            throw;
        }

        AriTracing.Answered(span, response.StatusCode);
        if (response.StatusCode is < 200 or > 299)
            throw new AriRequestException(response.StatusCode, request.Method.Method, request.Path, ErrorMessage(response.Body));
        return response;
    }

    private static string? ErrorMessage(string? body)
    {
        if (string.IsNullOrEmpty(body)) return null;
        try
        {
            return JsonSerializer.Deserialize(body, AriJsonContext.Default.AriError)?.Message ?? body;
        }
        catch (JsonException)
        {
            return body;
        }
    }

    private async Task<AriResponse> SendOverHttpAsync(AriRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(request.Method, request.ToRelativeUri());
        if (request.JsonBody is { } body)
            message.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };

        using var response = await _http.SendAsync(message, cancellationToken);
        var text = response.Content.Headers.ContentLength == 0 ? null : await response.Content.ReadAsStringAsync(cancellationToken);
        return new AriResponse((int)response.StatusCode, text);
    }

    private async Task<AriResponse> SendOverWebSocketAsync(AriRequest request, CancellationToken cancellationToken)
    {
        var pending = new PendingRequest(Interlocked.Increment(ref _lastRequestId), request);
        _pending[pending.Id] = pending;
        // Checked after registering so that the receive loop's final sweep or this check always sees the request.
        if (_disconnected.Task.IsCompleted || !_outgoing.Writer.TryWrite(pending))
        {
            _pending.TryRemove(pending.Id, out _);
            throw new AriDisconnectedException("The ARI events WebSocket is closed.");
        }

        try
        {
            return await pending.Task.WaitAsync(_settings.RequestTimeout, cancellationToken);
        }
        finally
        {
            _pending.TryRemove(pending.Id, out _);
        }
    }

    private async Task SendLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        await using var writer = new Utf8JsonWriter(buffer);
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_shutdown.Token))
            {
                while (reader.TryRead(out var pending))
                {
                    if (pending.Task.IsCompleted) continue; // timed out or cancelled while queued

                    buffer.ResetWrittenCount();
                    writer.Reset(buffer);
                    pending.Request.WriteRestRequest(writer, pending.Id);
                    writer.Flush();
                    try
                    {
                        await _socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, true, _shutdown.Token);
                    }
                    // An aborted WebSocket reports itself as a cancelled send.
                    catch (Exception e) when (e is WebSocketException or ObjectDisposedException or IOException or OperationCanceledException)
                    {
                        pending.TrySetException(new AriDisconnectedException("Sending on the ARI events WebSocket failed.", e));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferSize);
        AriDisconnect outcome;
        try
        {
            var count = 0;
            while (true)
            {
                if (count == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan().CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(count), _shutdown.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    outcome = new AriDisconnect($"closed by server ({_socket.CloseStatus} {_socket.CloseStatusDescription})", null);
                    await AcknowledgeCloseAsync();
                    break;
                }

                count += result.Count;
                if (!result.EndOfMessage) continue;
                if (result.MessageType == WebSocketMessageType.Text)
                    Dispatch(buffer.AsSpan(0, count), Stopwatch.GetTimestamp());
                count = 0;
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            outcome = new AriDisconnect("disposed", null);
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
        {
            outcome = new AriDisconnect("connection lost", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _disconnected.TrySetResult(outcome);
        _events.Writer.TryComplete();
        _outgoing.Writer.TryComplete();
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var pending))
                pending.TrySetException(new AriDisconnectedException($"The ARI events WebSocket closed: {outcome.Reason}.", outcome.Error));
        }
    }

    private async Task AcknowledgeCloseAsync()
    {
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", _shutdown.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Nothing left to tell a peer that is already gone.
        }
    }

    private void Dispatch(ReadOnlySpan<byte> message, long received)
    {
        switch (AriEventParser.Parse(message))
        {
            case null:
                return;
            case RestResponse response:
                if (long.TryParse(response.RequestId, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                    && _pending.TryRemove(id, out var pending))
                    pending.TrySetResult(new AriResponse(response.StatusCode, response.MessageBody));
                return;
            case var ariEvent:
                ariEvent.ReceivedTimestamp = received;
                _events.Writer.TryWrite(ariEvent);
                return;
        }
    }

    private readonly record struct AriResponse(int StatusCode, string? Body);

    private sealed class PendingRequest(long id, AriRequest request)
        : TaskCompletionSource<AriResponse>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Id { get; } = id;
        public AriRequest Request { get; } = request;
    }
}
