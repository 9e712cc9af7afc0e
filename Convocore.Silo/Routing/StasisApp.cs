using System.Collections.Concurrent;
using System.Diagnostics;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing.Ari;
using StackExchange.Redis;

namespace Convocore.Silo.Routing;

/// <summary>
/// Our Stasis application on one Asterisk server: keeps the ARI connection up (reconnecting with capped
/// backoff) and answers every StasisStart. The event loop never waits for a call: each is handled on its own.
/// </summary>
internal sealed class StasisApp(
    AsteriskServerOptions server,
    AsteriskOptions options,
    RoutingTable table,
    RoutingMetrics metrics,
    CallRecorder recorder,
    ILogger logger) : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource stopping = new();
    private readonly string region = server.Region.ToString();

    /// <summary>Routed calls whose end Asterisk has yet to report (we subscribed to them before continue).</summary>
    private readonly ConcurrentDictionary<string, CallRecord> inProgress = new();
    private Task? running;

    public AsteriskConnectionState State { get; private set; } = AsteriskConnectionState.Connecting;

    /// <summary>Which ARI routes the current connection uses, for health and the connect log line.</summary>
    public AriRoutes? Routes { get; private set; }

    public void Start() => running = Task.Run(RunAsync);

    private async Task RunAsync()
    {
        var retry = FirstRetry;
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
                await FollowOpenCallsAsync(channels);
                Routes = client.Routes;
                State = AsteriskConnectionState.Connected;
                retry = FirstRetry;
                logger.LogInformation(
                    "Connected to Asterisk {Server} ({Version}) as Stasis app {Application}: commands over {Transport}, channel variables {Variables} over {VariablesTransport}",
                    server.DisplayName, client.Routes.ServerVersion, options.Application, client.Routes.Transport, client.Routes.Variables,
                    client.Routes.VariablesTransport);
                await DispatchAsync(client, adopted);
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
            try
            {
                await Task.Delay(retry, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, MaxRetry.Ticks));
        }
    }

    /// <summary>
    /// The events this app acts on, plus the replies of REST over the WebSocket (they travel as events too: without
    /// RESTResponse in the list no command would ever complete).
    /// </summary>
    private static readonly string[] HandledEvents = ["StasisStart", "StasisEnd", "ChannelDestroyed", "ApplicationReplaced", "RESTResponse"];

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
            if (StasisArguments(channel.Dialplan) is not { } args) continue;
            adopted.Add(channel.Id);
            var start = new StasisStart { Application = options.Application, Timestamp = now, Channel = channel, Args = args };
            _ = HandleAsync(client, start, Stopwatch.GetTimestamp());
        }
        if (adopted.Count > 0)
            logger.LogWarning("Routing {Count} channels left waiting in Stasis on Asterisk {Server} by the previous connection",
                adopted.Count, server.DisplayName);
        return adopted;
    }

    /// <summary>
    /// Routed calls still up on the server are followed to their end, whichever silo routed them (the subscription belongs
    /// to the app, so their ChannelDestroyed comes to this connection). Calls that ended while no silo held the connection
    /// are recorded without an end, since nobody heard it.
    /// </summary>
    private async Task FollowOpenCallsAsync(IReadOnlyList<Channel>? channels)
    {
        if (channels is null) return;
        var live = channels.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<CallRecord> open;
        try
        {
            open = await recorder.OpenCalls(server.DisplayName);
        }
        catch (RedisException ex)
        {
            logger.LogWarning("Cannot read the open calls of Asterisk {Server} ({Error}); their ends go unrecorded", server.DisplayName, ex.Message);
            return;
        }

        foreach (var call in open)
        {
            if (live.Contains(call.ChannelId)) inProgress.TryAdd(call.ChannelId, call);
            else if (!inProgress.ContainsKey(call.ChannelId)) recorder.Record(call with { EndCause = UnheardEnd });
        }
        foreach (var id in inProgress.Keys)
        {
            if (!live.Contains(id) && inProgress.TryRemove(id, out var gone)) recorder.Record(gone with { EndCause = UnheardEnd });
        }
    }

    private const string UnheardEnd = "ended while no silo held the connection";

    /// <summary>The arguments of <c>Stasis(app,arg1,...)</c> when the channel waits in our app, else null.</summary>
    private string[]? StasisArguments(DialplanCep dialplan)
    {
        if (!string.Equals(dialplan.AppName, "Stasis", StringComparison.OrdinalIgnoreCase)) return null;
        var parts = dialplan.AppData.Split(',');
        return parts[0] == options.Application ? parts[1..] : null;
    }

    private async Task DispatchAsync(AriClient client, HashSet<string> adopted)
    {
        var events = client.Events;
        while (await events.WaitToReadAsync(stopping.Token))
        {
            while (events.TryRead(out var ariEvent))
            {
                switch (ariEvent)
                {
                    case StasisStart start when !adopted.Contains(start.Channel.Id):
                        _ = HandleAsync(client, start, start.ReceivedTimestamp);
                        break;
                    case ChannelDestroyed destroyed when inProgress.TryRemove(destroyed.Channel.Id, out var call):
                        recorder.Record(Ended(call, destroyed.Timestamp, destroyed.CauseText));
                        break;
                }
            }
        }
    }

    private async Task HandleAsync(AriClient client, StasisStart start, long received)
    {
        var channelId = start.Channel.Id;
        var dialed = start.Args.Count > 0 ? start.Args[0] : start.Channel.Dialplan.Exten;
        var trunk = start.Args.Count > 1 && start.Args[1].Length > 0 ? start.Args[1] : null;
        var call = new CallRecord(channelId, dialed, null, start.Channel.Caller.Number, null, null, null, region, server.DisplayName,
            start.Channel.CreationTime == default ? start.Timestamp : start.Channel.CreationTime,
            CallOutcome.Failed, null, null, null, null);
        try
        {
            // Warm, the table answers at once; a miss asks the grains, within the bound.
            var routing = table.Route(dialed, trunk);
            RouteDecision decision;
            if (routing.IsCompletedSuccessfully) decision = routing.Result;
            else
            {
                metrics.TableMissed();
                decision = await routing.AsTask().WaitAsync(options.DecisionTimeout);
            }
            if (decision.Number is { } known)
            {
                call = call with
                {
                    PhoneNumber = known.PhoneNumber, WorkspaceId = known.WorkspaceId, TrunkId = known.TrunkId, AgentId = known.AgentId,
                    Region = known.Region,
                };
            }
            if (decision.HangupReason is { } reason)
            {
                var hangup = client.HangupAsync(channelId, reason);
                var outcome = Outcome(decision.Failure);
                metrics.Routed(received, outcome, region, server.DisplayName);
                recorder.Record(Released(call with { PhoneNumber = decision.PhoneNumber, FailureReason = outcome }, received, null));
                await hangup;
                return;
            }

            var route = decision.Number!;
            // Both go out at once; continue only after both landed, since the subscription is what tells us
            // when the call ends after the handoff.
            var setVariables = client.SetChannelVariablesAsync(channelId, route.Variables);
            var subscribe = client.SubscribeAsync(options.Application, "channel:" + channelId);
            metrics.Routed(received, "routed", region, server.DisplayName);
            var routed = call with { Outcome = CallOutcome.Routed };
            inProgress[channelId] = routed;
            recorder.Opened(routed);
            await Task.WhenAll(setVariables, subscribe);
            await client.ContinueAsync(channelId, options.AgentContext, route.AgentId, 1);
        }
        catch (AriRequestException ex) when (ex.IsChannelGone)
        {
            // The caller hung up while we decided: nothing is left to release.
            if (inProgress.TryRemove(channelId, out var gone))
                recorder.Record(Released(gone with { Outcome = CallOutcome.Failed, FailureReason = "caller_hung_up" }, received, "caller hung up before the handoff"),
                    wasOpened: true);
        }
        catch (Exception ex)
        {
            // Never leave a caller waiting in Stasis.
            logger.LogWarning("Routing channel {ChannelId} on {Server} failed ({Error}); releasing it with congestion",
                channelId, server.DisplayName, ex.GetType().Name);
            metrics.Routed(received, Outcome(CallFailure.Internal), region, server.DisplayName);
            var wasOpened = inProgress.TryRemove(channelId, out _);
            recorder.Record(Released(call with { Outcome = CallOutcome.Failed, FailureReason = Outcome(CallFailure.Internal) }, received, null),
                wasOpened);
            try
            {
                await client.HangupAsync(channelId, "congestion");
            }
            catch (Exception)
            {
                // Gone already, or the connection is down; Asterisk releases channels of a vanished app itself.
            }
        }
    }

    private static CallRecord Ended(CallRecord call, DateTimeOffset endedAt, string? cause) =>
        call with { EndedAt = endedAt, DurationSeconds = Math.Max(0, (endedAt - call.StartedAt).TotalSeconds), EndCause = cause };

    /// <summary>
    /// A call that never reached its agent lasts as long as our decision: timed by our own stopwatch from StasisStart,
    /// so neither a clock difference between Asterisk and us nor a clock step can make it negative or huge.
    /// </summary>
    private static CallRecord Released(CallRecord call, long received, string? cause) =>
        Ended(call, call.StartedAt + Stopwatch.GetElapsedTime(received), cause);

    private static string Outcome(CallFailure? failure) => failure switch
    {
        CallFailure.Unallocated => "unallocated",
        CallFailure.AgentUnavailable => "agent_unavailable",
        CallFailure.TrunkInactive => "trunk_inactive",
        _ => "internal",
    };

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (running is not null) await running;
        stopping.Dispose();
    }
}
