using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Convocore.Tests.RealAsterisk;

/// <summary>
/// A raw ARI events WebSocket (<c>/ari/events?app=...</c>) for tests that play the Stasis app themselves:
/// every received JSON message is kept; <see cref="WaitForAsync"/> takes the first not-yet-taken match.
/// Also sends REST-over-WebSocket <c>RESTRequest</c> messages (Asterisk 20.13/21.8/22.3+).
/// </summary>
public sealed class AriEventSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly List<JsonElement> _messages = [];
    private readonly HashSet<int> _taken = [];
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task? _receiveLoop;
    private int _requestCounter;

    /// <summary>Every message received so far (events and RESTResponses), in arrival order.</summary>
    public IReadOnlyList<JsonElement> Messages
    {
        get { lock (_messages) return _messages.ToList(); }
    }

    public WebSocketState State => _socket.State;

    /// <summary>Connects to ws://127.0.0.1:8088/ari/events?app=convocore with Basic auth.</summary>
    /// <param name="subscribeAll">adds <c>subscribeAll=true</c>: the app hears the events of every channel, bridge and
    /// endpoint: ChannelCreated, ChannelVarset, ChannelDialplan, ChannelDestroyed... (an observer beside the real Stasis app;
    /// a channel's StasisStart/StasisEnd go to its own app only, observed on 23.4.1)</param>
    public static async Task<AriEventSocket> ConnectAsync(AsteriskFixture asterisk, string? app = null, CancellationToken ct = default,
        bool subscribeAll = false)
    {
        var s = new AriEventSocket();
        s._socket.Options.SetRequestHeader("Authorization", AsteriskFixture.BasicAuth().ToString());
        var url = new Uri($"ws://{AsteriskFixture.SipHost}:{AsteriskFixture.AriPort}/ari/events?app={Uri.EscapeDataString(app ?? AsteriskFixture.AppName)}" +
                          (subscribeAll ? "&subscribeAll=true" : ""));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await s._socket.ConnectAsync(url, timeout.Token);
        s._receiveLoop = Task.Run(s.ReceiveLoopAsync);
        return s;
    }

    /// <summary>Waits for the first message (not returned before) that matches; throws TimeoutException with what came.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan timeout, string? what = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_messages)
            {
                for (var i = 0; i < _messages.Count; i++)
                {
                    if (_taken.Contains(i) || !match(_messages[i])) continue;
                    _taken.Add(i);
                    return _messages[i];
                }
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || _receiveLoop is { IsCompleted: true } && !HasUntakenMatch(match))
            {
                throw new TimeoutException($"no {what ?? "matching ARI message"} within {timeout.TotalSeconds:0.#}s " +
                    $"(socket {_socket.State}); received types: {string.Join(", ", Messages.Select(Type))}");
            }
            await _signal.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    private bool HasUntakenMatch(Func<JsonElement, bool> match)
    {
        lock (_messages) return _messages.Where((m, i) => !_taken.Contains(i) && match(m)).Any();
    }

    /// <summary>Waits for an event of this type (optionally for this channel id).</summary>
    public Task<JsonElement> WaitForEventAsync(string type, string? channelId = null, TimeSpan? timeout = null) =>
        WaitForAsync(e => Type(e) == type && (channelId is null || ChannelId(e) == channelId),
            timeout ?? TimeSpan.FromSeconds(10), channelId is null ? type : $"{type} for {channelId}");

    /// <summary>
    /// Sends a <c>RESTRequest</c> and waits for the <c>RESTResponse</c> with the same request_id.
    /// <paramref name="uri"/> is relative to /ari without a leading slash (e.g. <c>channels/{id}/continue</c>).
    /// </summary>
    public async Task<JsonElement> SendRestAsync(string method, string uri, IEnumerable<KeyValuePair<string, string>>? query = null,
        JsonNode? body = null, TimeSpan? timeout = null)
    {
        var requestId = $"r{Interlocked.Increment(ref _requestCounter)}";
        var message = new JsonObject
        {
            ["type"] = "RESTRequest",
            ["transaction_id"] = "t-" + requestId,
            ["request_id"] = requestId,
            ["method"] = method,
            ["uri"] = uri,
        };
        if (query is not null)
        {
            message["query_strings"] = new JsonArray(query.Select(q => (JsonNode)new JsonObject { ["name"] = q.Key, ["value"] = q.Value }).ToArray());
        }
        if (body is not null)
        {
            message["content_type"] = "application/json";
            message["message_body"] = body.ToJsonString();
        }
        await SendRawAsync(message.ToJsonString());
        return await WaitForAsync(m => Type(m) == "RESTResponse" && m.TryGetProperty("request_id", out var r) && r.GetString() == requestId,
            timeout ?? TimeSpan.FromSeconds(10), $"RESTResponse {requestId}");
    }

    /// <summary>Sends a text frame as is.</summary>
    public async Task SendRawAsync(string text)
    {
        await _sendLock.WaitAsync();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cts.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public static string? Type(JsonElement e) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) ? t.GetString() : null;

    public static string? ChannelId(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("channel", out var c) && c.TryGetProperty("id", out var id) ? id.GetString() : null;

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var text = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close) break;
                text.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                var json = Encoding.UTF8.GetString(text.GetBuffer(), 0, (int)text.Length);
                text.SetLength(0);
                JsonElement element;
                try
                {
                    using var doc = JsonDocument.Parse(json);
                    element = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    element = JsonSerializer.SerializeToElement(new { type = "<invalid json>", text = json });
                }
                lock (_messages) _messages.Add(element);
                _signal.Release();
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
        finally
        {
            _signal.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        _stop.Cancel();
        if (_receiveLoop is not null)
        {
            try { await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(3)); } catch (TimeoutException) { }
        }
        _socket.Dispose();
        _stop.Dispose();
    }
}
