using System.Diagnostics;
using Convocore.Contracts.Routing;
using Convocore.Silo.TestCalls;
using Convocore.Silo.Routing.Ari;

namespace Convocore.Silo.Routing;

/// <summary>
/// The life of our Stasis application's connection to one Asterisk server: connects (reconnecting with capped backoff),
/// routes the channels a lost connection left waiting, follows the routed calls still up, then hands every StasisStart
/// to <see cref="InboundCall"/> and every followed call's end to <see cref="OpenCalls"/>. The event loop never waits
/// for a call: each is handled on its own.
/// </summary>
internal sealed class StasisConnection : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);
    // Another client that took our app name would take it back as soon as we did: wait longer each time it happens.
    private static readonly TimeSpan FirstRetryAfterReplaced = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryAfterReplaced = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource stopping = new();
    private readonly AsteriskServerOptions server;
    private readonly AsteriskOptions options;
    private readonly ILogger logger;
    private readonly OpenCalls openCalls;
    private readonly InboundCall calls;
    private Task? running;
    private AriClient? connected;

    public StasisConnection(
        AsteriskServerOptions server, AsteriskOptions options, RoutingTable table, RoutingMetrics metrics, CallRecorder recorder,
        TestCallAnnouncer testCalls, RoutingHookCall hooks, ILogger logger)
    {
        this.server = server;
        this.options = options;
        this.logger = logger;
        openCalls = new OpenCalls(server.DisplayName, recorder, logger);
        calls = new InboundCall(server, options, table, metrics, recorder, openCalls, testCalls, hooks, logger);
    }

    public AsteriskConnectionState State { get; private set; } = AsteriskConnectionState.Connecting;

    /// <summary>Which ARI routes the current connection uses, for health and the connect log line.</summary>
    public AriRoutes? Routes { get; private set; }

    public void Start() => running = Task.Run(RunAsync);

    private async Task RunAsync()
    {
        // The connection outlives whatever trace activated its grain: each call starts a trace of its own.
        Activity.Current = null;
        var retry = FirstRetry;
        var replacedRetry = FirstRetryAfterReplaced;
        var settings = new AriConnectionSettings(server.AriUrl!, server.Username, server.Password, options.Application)
        {
            ForceHttpTransport = options.ForceHttpTransport,
            ForcePerVariableSet = options.ForcePerVariableSet,
            VariablesOverWebSocket = options.ChannelVariablesOverWebSocket,
        };
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var client = new AriClient(settings);
                await client.ConnectAsync(stopping.Token);
                await FilterEventsAsync(client);
                var channels = await ListChannelsAsync(client);
                var adopted = AdoptWaitingChannels(client, channels);
                openCalls.Follow(channels);
                Routes = client.Routes;
                State = AsteriskConnectionState.Connected;
                retry = FirstRetry;
                logger.LogInformation(
                    "Connected to Asterisk {Server} ({Version}) as Stasis app {Application}: commands over {Transport}, channel variables {Variables} over {VariablesTransport}",
                    server.DisplayName, client.Routes.ServerVersion, options.Application, client.Routes.Transport, client.Routes.Variables,
                    client.Routes.VariablesTransport);
                var since = Stopwatch.StartNew();
                connected = client;
                bool replaced;
                try
                {
                    replaced = await DispatchAsync(client, adopted);
                }
                finally
                {
                    connected = null;
                }
                // Held long enough to count as ours again: the next replacement starts the backoff afresh.
                if (since.Elapsed > MaxRetryAfterReplaced) replacedRetry = FirstRetryAfterReplaced;
                if (replaced)
                {
                    State = AsteriskConnectionState.Replaced;
                    logger.LogError(
                        "Another ARI client took the Stasis app {Application} on Asterisk {Server}: its calls no longer reach this system; taking it back in {Retry}",
                        options.Application, server.DisplayName, replacedRetry);
                    await WaitToRetry(replacedRetry);
                    replacedRetry = TimeSpan.FromTicks(Math.Min(replacedRetry.Ticks * 2, MaxRetryAfterReplaced.Ticks));
                    continue;
                }
                logger.LogWarning("Lost the ARI connection to Asterisk {Server}", server.DisplayName);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Cannot connect to Asterisk {Server}: {Error}; retrying in {Retry}", server.DisplayName, ex.Message, retry);
            }
            State = AsteriskConnectionState.Disconnected;
            await WaitToRetry(retry);
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
        }
    }

    private async Task WaitToRetry(TimeSpan retry)
    {
        try
        {
            await Task.Delay(retry, stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop ends.
        }
    }

    /// <summary>
    /// Places a test call to <paramref name="phoneNumber"/>: a Local channel into the context provider calls land in, so
    /// its second half (<paramref name="callId"/>) takes a caller's path through the dialplan, Stasis and the routing
    /// decision; the first half holds the line as the caller. False while not connected.
    /// </summary>
    public async Task<bool> PlaceTestCall(string callId, string phoneNumber, string? trunkKey)
    {
        if (connected is not { } client) return false;
        var variables = new Dictionary<string, string> { ["CONVOCORE_TEST_NUMBER"] = phoneNumber };
        // Inherited by the second half, as pjsip.conf sets it on a provider's endpoint: the trunk the call comes in on.
        if (trunkKey is not null) variables["_CONVOCORE_TRUNK"] = trunkKey;
        try
        {
            await client.OriginateAsync($"Local/{phoneNumber}@{options.ProviderContext}", TestCallChannels.Caller(callId), callId,
                options.TestCallerContext, "\"Convocore test call\" <test>", 30, variables, stopping.Token);
            return true;
        }
        catch (AriDisconnectedException)
        {
            return false;
        }
        catch (AriRequestException ex)
        {
            logger.LogWarning("Asterisk {Server} refused to place test call {CallId} ({Status})", server.DisplayName, callId, ex.StatusCode);
            return false;
        }
    }

    /// <summary>
    /// The events this app acts on (a call's end comes as a StasisStart too: <see cref="CallEnd"/>), plus the replies of
    /// REST over the WebSocket (they travel as events too: without RESTResponse in the list no command would ever complete).
    /// </summary>
    private static readonly string[] HandledEvents = ["StasisStart", "ApplicationReplaced", "RESTResponse"];

    private async Task FilterEventsAsync(AriClient client)
    {
        try
        {
            await client.FilterEventsAsync(HandledEvents, stopping.Token);
        }
        catch (AriRequestException ex)
        {
            // An Asterisk without the route still works: it sends everything and we ignore what we do not handle.
            logger.LogInformation("Asterisk {Server} does not filter events ({Status}); every event of a routed call reaches us",
                server.DisplayName, ex.StatusCode);
        }
    }

    /// <returns>Null when the list cannot be read; the connection still serves new calls.</returns>
    private async Task<IReadOnlyList<Channel>?> ListChannelsAsync(AriClient client)
    {
        try
        {
            return await client.GetChannelsAsync(stopping.Token);
        }
        catch (AriRequestException ex)
        {
            logger.LogWarning("Cannot list the channels of Asterisk {Server} ({Status}): channels left in Stasis stay there and "
                + "calls routed before the connection changed hands go unfollowed", server.DisplayName, ex.StatusCode);
            return null;
        }
    }

    /// <summary>
    /// Channels already waiting in our app when we connect lost their StasisStart with the previous connection: Asterisk
    /// keeps a channel in Stasis when the app's WebSocket dies, and would keep it there until the caller gives up.
    /// They are routed now like any call; their StasisStart, should one still be queued, is then ignored.
    /// </summary>
    private HashSet<string> AdoptWaitingChannels(AriClient client, IReadOnlyList<Channel>? channels)
    {
        var adopted = new HashSet<string>(StringComparer.Ordinal);
        var now = DateTimeOffset.UtcNow;
        foreach (var channel in channels ?? [])
        {
            // A channel in the call-ended handler is hung up already: Stasis lets it go by itself.
            if (StasisArguments(channel.Dialplan) is not { } args || args is [CallEnd.Marker, ..]) continue;
            adopted.Add(channel.Id);
            var start = new StasisStart { Application = options.Application, Timestamp = now, Channel = channel, Args = args };
            _ = calls.HandleAsync(client, start, Stopwatch.GetTimestamp());
        }
        if (adopted.Count > 0)
            logger.LogWarning("Routing {Count} channels left waiting in Stasis on Asterisk {Server} by the previous connection",
                adopted.Count, server.DisplayName);
        return adopted;
    }

    /// <summary>The arguments of <c>Stasis(app,arg1,...)</c> when the channel waits in our app, else null.</summary>
    private string[]? StasisArguments(DialplanCep dialplan)
    {
        if (!string.Equals(dialplan.AppName, "Stasis", StringComparison.OrdinalIgnoreCase)) return null;
        var parts = dialplan.AppData.Split(',');
        return parts[0] == options.Application ? parts[1..] : null;
    }

    /// <returns>True when another client took the app over (the connection is then of no use), false when it was lost.</returns>
    private async Task<bool> DispatchAsync(AriClient client, HashSet<string> adopted)
    {
        var events = client.Events;
        while (await events.WaitToReadAsync(stopping.Token))
        {
            while (events.TryRead(out var ariEvent))
            {
                switch (ariEvent)
                {
                    case StasisStart end when CallEnd.IsEnd(end):
                        openCalls.Ended(end.Channel.Id, end.Timestamp, CallEnd.Cause(end));
                        break;
                    case StasisStart start when !adopted.Contains(start.Channel.Id):
                        _ = calls.HandleAsync(client, start, start.ReceivedTimestamp);
                        break;
                    case ApplicationReplaced:
                        return true;
                }
            }
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (running is not null) await running;
        stopping.Dispose();
    }
}
