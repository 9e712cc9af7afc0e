using System.Diagnostics;
using Convocore.Contracts.Routing;
using Convocore.Silo.TestCalls;
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
    TestCallAnnouncer testCalls,
    RoutingHookCall hooks,
    ILogger logger)
{
    // Asterisk failing our commands may fail the hang-up too: it is tried again, so that a caller does not wait in
    // Stasis until they give up (about 16 s in all, beside the request timeouts).
    private static readonly TimeSpan[] HangupRetries =
        [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2),
         TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)];

    private readonly string region = server.Region.ToString();
    private readonly RoutingFailureLog failures = new(server.DisplayName, logger);
    private readonly KeyValuePair<string, object?>[] traceTags = CallTracing.ServerTags(server.Region.ToString(), server.DisplayName);

    /// <param name="received">When the StasisStart frame arrived: our own time is measured from there.</param>
    public async Task HandleAsync(AriClient client, StasisStart start, long received)
    {
        var channelId = start.Channel.Id;
        using var span = CallTracing.StartCall(traceTags, channelId, received);
        var dialed = start.Args.Count > 0 ? start.Args[0] : start.Channel.Dialplan.Exten;
        var trunk = start.Args.Count > 1 && start.Args[1].Length > 0 ? start.Args[1] : null;
        var call = new CallRecord(channelId, dialed, null, start.Channel.Caller.Number, null, null, null, region, server.DisplayName,
            start.Channel.CreationTime == default ? start.Timestamp : start.Channel.CreationTime,
            CallOutcome.Failed, null, null, null, null, Test: channelId.StartsWith(TestCallRules.ChannelPrefix, StringComparison.Ordinal));
        // Once opened, the call's record is written when its end is heard (OpenCalls), unless taken back below.
        CallRecord? opened = null;
        try
        {
            RouteDecision decision;
            // [from-trunk] passes two arguments. More means the dialled number held a comma (the SIP user part is the
            // caller's to choose): refused, so that only the dialplan names the trunk a call came in on.
            if (start.Args.Count > 2) decision = RouteDecision.Unallocated(null);
            else
            {
                // Warm, the table answers at once; a miss asks the grains, within the bound.
                var routing = table.Route(dialed, trunk);
                if (routing.IsCompletedSuccessfully) decision = routing.Result;
                else
                {
                    metrics.TableMissed();
                    CallTracing.Missed(span);
                    decision = await routing.AsTask().WaitAsync(options.DecisionTimeout);
                }
            }

            // The only cost a number without the hook pays: this check.
            HookedRoute? hooked = null;
            if (decision.Number is { RoutingHook: true } hookedNumber && decision.Failure is null or CallFailure.AgentUnavailable)
            {
                hooked = await hooks.Decide(hookedNumber, channelId, start.Channel.Caller.Number);
                decision = hooked.Decision;
            }

            if (decision.HangupReason is { } reason)
            {
                var hangup = client.HangupAsync(channelId, reason);
                var outcome = CallRecords.Outcome(decision.Failure);
                metrics.Routed(received, outcome, region, server.DisplayName);
                // A call that came in on another trunk stays out of the number owner's call log: the caller chose it.
                var refused = decision.Number is { } owned && decision.Failure != CallFailure.TrunkMismatch
                    ? call with { PhoneNumber = owned.PhoneNumber, WorkspaceId = owned.WorkspaceId, TrunkId = owned.TrunkId, AgentId = owned.AgentId, Region = owned.Region, Hook = hooked?.Hook }
                    : call with { PhoneNumber = decision.PhoneNumber };
                refused = CallRecords.Released(refused with { FailureReason = outcome }, received, null);
                if (call.Test) testCalls.Decided(refused, "failed", outcome, received);
                CallTracing.Describe(span, refused);
                try
                {
                    await hangup;
                }
                catch (AriRequestException gone) when (gone.IsChannelGone)
                {
                    // The caller left first: refused all the same.
                }
                // Recorded once the hang-up landed: a connection lost before that gives the channel to the next one,
                // which decides it again (AdoptWaitingChannels) and records it then.
                recorder.Record(refused);
                if (decision.Failure == CallFailure.TrunkMismatch)
                    logger.LogWarning("Channel {ChannelId} on {Server} came in on trunk {CallTrunk} for a number of trunk {NumberTrunk}; refused as unallocated",
                        channelId, server.DisplayName, trunk, decision.Number!.TrunkKey);
                return;
            }

            var route = decision.Number!;
            var fallback = decision.FallbackReason;
            var agentId = hooked?.AgentId ?? route.AgentId;
            opened = call with
            {
                PhoneNumber = route.PhoneNumber, WorkspaceId = route.WorkspaceId, TrunkId = route.TrunkId, AgentId = agentId,
                Region = route.Region, Outcome = fallback is null ? CallOutcome.Routed : CallOutcome.Fallback,
                FailureReason = fallback, Fallback = fallback is null ? null : route.FallbackText, Hook = hooked?.Hook,
            };
            var setVariables = client.SetChannelVariablesAsync(channelId,
                fallback is null ? hooked?.Variables ?? route.Variables : route.FallbackVariables!);
            metrics.Routed(received, fallback is null ? "routed" : "fallback", region, server.DisplayName);
            // Tagged once the first command is out: our own time ends there.
            CallTracing.Describe(span, opened);
            // Followed once the first command is out (our own time ends there). An end reported before this line (the
            // caller hanging up in that instant) finds no call to end; continue then finds the channel gone, and the
            // call is recorded as the caller's hang-up before the handoff, which it was.
            openCalls.Track(opened);
            recorder.Opened(opened);
            if (call.Test) testCalls.Decided(opened, fallback is null ? "routed" : "fallback", fallback, received);
            await setVariables;
            // A caller who hung up meanwhile has had the end reported by the handler: continuing would only run the
            // agent context on a hung-up channel.
            if (!openCalls.IsOpen(opened)) return;
            if (fallback is null) await client.ContinueAsync(channelId, options.AgentContext, agentId, 1);
            else
                await client.ContinueAsync(channelId, route.FallbackAgentId is null ? options.FallbackContext : options.AgentContext,
                    route.FallbackExtension!, 1);
            failures.Routed();
        }
        catch (AriRequestException ex) when (ex.IsChannelGone)
        {
            // The caller hung up while we decided: nothing is left to release.
            if (opened is not null && openCalls.Abandon(opened))
            {
                var abandoned = CallRecords.Released(opened with { Outcome = CallOutcome.Failed, FailureReason = "caller_hung_up" }, received,
                    "caller hung up before the handoff");
                CallTracing.Describe(span, abandoned);
                recorder.Record(abandoned, wasOpened: true);
            }
        }
        catch (AriDisconnectedException)
        {
            // The connection went while we were at it. The channel waits in Stasis for the next connection, which
            // decides it again; a call already continued is followed through its open entry. Nothing to record here.
        }
        catch (Exception ex)
        {
            // Never leave a caller waiting in Stasis.
            failures.Failed(channelId, ex);
            var internalFailure = CallRecords.Outcome(CallFailure.Internal);
            metrics.Routed(received, internalFailure, region, server.DisplayName);
            // An end already heard was recorded by OpenCalls: nothing more to write then.
            if (opened is null || openCalls.Abandon(opened))
            {
                var failed = CallRecords.Released((opened ?? call) with { Outcome = CallOutcome.Failed, FailureReason = internalFailure }, received, null);
                CallTracing.Describe(span, failed);
                recorder.Record(failed, wasOpened: opened is not null);
            }
            await ReleaseWithCongestion(client, channelId);
        }
    }

    private static async Task ReleaseWithCongestion(AriClient client, string channelId)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.HangupAsync(channelId, "congestion");
                return;
            }
            catch (AriRequestException gone) when (gone.IsChannelGone)
            {
                return;
            }
            catch (Exception) when (client.Disconnected.IsCompleted || attempt == HangupRetries.Length)
            {
                // The connection is down (the next one finds the channel waiting and decides it again), or Asterisk has
                // kept failing: it releases the channels of a vanished app itself.
                return;
            }
            catch (Exception)
            {
                await Task.Delay(HangupRetries[attempt]);
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
        CallFailure.HookRejectedBusy => "hook_rejected_busy",
        CallFailure.HookRejected => "hook_rejected",
        _ => "internal",
    };
}
