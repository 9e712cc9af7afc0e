using System.Collections.Concurrent;
using System.Diagnostics;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing.Ari;

namespace Convocore.Silo.Routing;

/// <summary>
/// The routed calls on one Asterisk server whose end Asterisk has yet to report. Kept in memory for the connection that
/// hears the end, and in Redis (through the recorder) for the silo that takes the connection over when this one dies.
/// </summary>
internal sealed class OpenCalls(string server, CallRecorder recorder, ILogger logger)
{
    private const string UnheardEnd = "ended while no silo held the connection";

    // With each call the trace it was routed in (none when tracing is off, or for calls read from Redis), which its end joins.
    private readonly ConcurrentDictionary<string, (CallRecord Call, ActivityContext Trace)> calls = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string? Cause)> earlyEnds = new();
    private int following;

    /// <summary>
    /// A call being handed to its agent: its end is recorded when it is heard. The caller also gives it to the recorder
    /// (<see cref="CallRecorder.Opened"/>), so that a silo taking over can follow it.
    /// </summary>
    public void Track(CallRecord call) => calls[call.ChannelId] = (call, Activity.Current?.Context ?? default);

    /// <summary>The call's end was heard: its record with the real end. False when the call is not followed here.</summary>
    public bool Ended(string channelId, DateTimeOffset endedAt, string? cause)
    {
        if (TryEnd(channelId, endedAt, cause)) return true;
        if (Volatile.Read(ref following) == 0) return false;
        // The open calls of earlier connections are still being read: the end waits for the call it belongs to.
        earlyEnds[channelId] = (endedAt, cause);
        if (!TryEnd(channelId, endedAt, cause)) return false; // read in the meantime?
        earlyEnds.TryRemove(channelId, out _);
        return true;
    }

    private bool TryEnd(string channelId, DateTimeOffset endedAt, string? cause)
    {
        if (!calls.TryRemove(channelId, out var open)) return false;
        using var span = CallTracing.StartEnded(open.Trace, server, channelId, cause);
        recorder.Record(CallRecords.Ended(open.Call, endedAt, cause));
        return true;
    }

    /// <summary>
    /// The handoff failed after <paramref name="call"/> was opened: true when it was still open, and the caller of this
    /// now records it; false when its end was heard already (and recorded) or another handling opened the channel since.
    /// </summary>
    public bool Abandon(CallRecord call) =>
        calls.TryGetValue(call.ChannelId, out var open) && open.Call == call && calls.TryRemove(KeyValuePair.Create(call.ChannelId, open));

    /// <summary>Whether <paramref name="call"/> is still open: its end not heard, nor opened again by another handling.</summary>
    public bool IsOpen(CallRecord call) => calls.TryGetValue(call.ChannelId, out var open) && ReferenceEquals(open.Call, call);

    /// <summary>
    /// On (re)connect: routed calls still up on the server are followed to their end, whichever silo routed them (their
    /// hangup handler enters the app, so the end comes to this connection). Calls that ended while no silo held the
    /// connection are recorded without an end, since nobody heard it. Returns at once: the open calls are read from
    /// Redis in the background, so new calls never wait for Redis, and an end heard before its call is read waits for it.
    /// </summary>
    /// <param name="channels">The server's channels now; null when they could not be read (nothing is followed).</param>
    public void Follow(IReadOnlyList<Channel>? channels)
    {
        if (channels is null) return;
        var live = channels.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        // Taken before this connection routes anything: the calls opened from now on are not in the list, and live.
        var goneMeanwhile = calls.Keys.Where(id => !live.Contains(id)).ToArray();
        Interlocked.Increment(ref following);
        _ = FollowAsync(live, goneMeanwhile);
    }

    private async Task FollowAsync(HashSet<string> live, string[] goneMeanwhile)
    {
        try
        {
            foreach (var id in goneMeanwhile)
                if (calls.TryRemove(id, out var gone)) recorder.Record(gone.Call with { EndCause = UnheardEnd });
            IReadOnlyList<CallRecord> stored;
            try
            {
                stored = await recorder.OpenCalls(server);
            }
            catch (Exception ex)
            {
                // Redis away, or an entry we cannot read: the connection serves calls all the same.
                logger.LogWarning("Cannot read the open calls of Asterisk {Server} ({Error}); their ends go unrecorded", server, ex.Message);
                return;
            }
            foreach (var call in stored)
            {
                if (live.Contains(call.ChannelId))
                {
                    calls.TryAdd(call.ChannelId, (call, default));
                    if (earlyEnds.TryRemove(call.ChannelId, out var end)) TryEnd(call.ChannelId, end.At, end.Cause);
                }
                else if (!calls.ContainsKey(call.ChannelId))
                {
                    recorder.Record(call with { EndCause = UnheardEnd });
                }
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref following) == 0) earlyEnds.Clear();
        }
    }
}
