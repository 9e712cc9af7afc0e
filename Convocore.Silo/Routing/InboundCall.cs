using System.Diagnostics;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing.Ari;

namespace Convocore.Silo.Routing;

/// <summary>
/// The call path: one call that entered our Stasis app on one Asterisk server, from its StasisStart to our last ARI
/// command. Decided from the silo's routing table (no grain call, storage read or lock when warm), then either handed to
/// its agent or hung up with the reason Asterisk turns into the SIP answer. Every call is recorded, off the call path.
/// </summary>
internal sealed class InboundCall(
    AsteriskServerOptions server,
    AsteriskOptions options,
    RoutingTable table,
    RoutingMetrics metrics,
    CallRecorder recorder,
    OpenCalls openCalls,
    ILogger logger)
{
    private readonly string region = server.Region.ToString();

    /// <param name="received">When the StasisStart frame arrived: our own time is measured from there.</param>
    public async Task HandleAsync(AriClient client, StasisStart start, long received)
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
                if (decision.Failure == CallFailure.TrunkMismatch)
                    logger.LogWarning("Channel {ChannelId} on {Server} came in on trunk {CallTrunk} for a number of trunk {NumberTrunk}; refused as unallocated",
                        channelId, server.DisplayName, trunk, decision.Number!.TrunkKey);
                var hangup = client.HangupAsync(channelId, reason);
                var outcome = CallRecords.Outcome(decision.Failure);
                metrics.Routed(received, outcome, region, server.DisplayName);
                recorder.Record(CallRecords.Released(call with { PhoneNumber = decision.PhoneNumber, FailureReason = outcome }, received, null));
                await hangup;
                return;
            }

            var route = decision.Number!;
            // The variables carry the hangup handler that reports the call's end (CallEnd): continue only once they landed.
            var setVariables = client.SetChannelVariablesAsync(channelId, route.Variables);
            metrics.Routed(received, "routed", region, server.DisplayName);
            openCalls.Opened(call with { Outcome = CallOutcome.Routed });
            await setVariables;
            await client.ContinueAsync(channelId, options.AgentContext, route.AgentId, 1);
        }
        catch (AriRequestException ex) when (ex.IsChannelGone)
        {
            // The caller hung up while we decided: nothing is left to release.
            if (openCalls.Abandon(channelId, out var gone))
                recorder.Record(CallRecords.Released(gone with { Outcome = CallOutcome.Failed, FailureReason = "caller_hung_up" }, received,
                    "caller hung up before the handoff"), wasOpened: true);
        }
        catch (Exception ex)
        {
            // Never leave a caller waiting in Stasis.
            logger.LogWarning("Routing channel {ChannelId} on {Server} failed ({Error}); releasing it with congestion",
                channelId, server.DisplayName, ex.GetType().Name);
            var internalFailure = CallRecords.Outcome(CallFailure.Internal);
            metrics.Routed(received, internalFailure, region, server.DisplayName);
            var wasOpened = openCalls.Abandon(channelId, out _);
            recorder.Record(CallRecords.Released(call with { Outcome = CallOutcome.Failed, FailureReason = internalFailure }, received, null),
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
}

/// <summary>How a call's record is completed.</summary>
internal static class CallRecords
{
    public static CallRecord Ended(CallRecord call, DateTimeOffset endedAt, string? cause) =>
        call with { EndedAt = endedAt, DurationSeconds = Math.Max(0, (endedAt - call.StartedAt).TotalSeconds), EndCause = cause };

    /// <summary>
    /// A call that never reached its agent lasts as long as our decision: timed by our own stopwatch from StasisStart,
    /// so neither a clock difference between Asterisk and us nor a clock step can make it negative or huge.
    /// </summary>
    public static CallRecord Released(CallRecord call, long received, string? cause) =>
        Ended(call, call.StartedAt + Stopwatch.GetElapsedTime(received), cause);

    public static string Outcome(CallFailure? failure) => failure switch
    {
        CallFailure.Unallocated => "unallocated",
        CallFailure.AgentUnavailable => "agent_unavailable",
        CallFailure.TrunkInactive => "trunk_inactive",
        CallFailure.TrunkMismatch => "trunk_mismatch",
        _ => "internal",
    };
}
