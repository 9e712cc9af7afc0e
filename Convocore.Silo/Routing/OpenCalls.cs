using System.Collections.Concurrent;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing.Ari;
using StackExchange.Redis;

namespace Convocore.Silo.Routing;

/// <summary>
/// The routed calls on one Asterisk server whose end Asterisk has yet to report. Kept in memory for the connection that
/// hears the end, and in Redis (through the recorder) for the silo that takes the connection over when this one dies.
/// </summary>
internal sealed class OpenCalls(string server, CallRecorder recorder, ILogger logger)
{
    private const string UnheardEnd = "ended while no silo held the connection";

    private readonly ConcurrentDictionary<string, CallRecord> calls = new();

    /// <summary>A call handed to its agent: its end is recorded when Asterisk reports it.</summary>
    public void Opened(CallRecord call)
    {
        calls[call.ChannelId] = call;
        recorder.Opened(call);
    }

    /// <summary>The call's channel is gone: its record with the real end. False when the call was not followed.</summary>
    public bool Ended(string channelId, DateTimeOffset endedAt, string? cause)
    {
        if (!calls.TryRemove(channelId, out var call)) return false;
        recorder.Record(CallRecords.Ended(call, endedAt, cause));
        return true;
    }

    /// <summary>
    /// The handoff failed after <paramref name="call"/> was opened: true when it was still open, and the caller of this
    /// now records it; false when its end was heard already (and recorded) or another handling opened the channel since.
    /// </summary>
    public bool Abandon(CallRecord call) => calls.TryRemove(KeyValuePair.Create(call.ChannelId, call));

    /// <summary>Whether <paramref name="call"/> is still open: its end not heard, nor opened again by another handling.</summary>
    public bool IsOpen(CallRecord call) => calls.TryGetValue(call.ChannelId, out var open) && ReferenceEquals(open, call);

    /// <summary>
    /// On (re)connect: routed calls still up on the server are followed to their end, whichever silo routed them (the
    /// subscription belongs to the app, so their ChannelDestroyed comes to this connection). Calls that ended while no
    /// silo held the connection are recorded without an end, since nobody heard it.
    /// </summary>
    /// <param name="channels">The server's channels now; null when they could not be read (nothing is followed).</param>
    public async Task FollowAsync(IReadOnlyList<Channel>? channels)
    {
        if (channels is null) return;
        var live = channels.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<CallRecord> stored;
        try
        {
            stored = await recorder.OpenCalls(server);
        }
        catch (Exception ex)
        {
            // Redis away, or an entry we cannot read: new calls must not wait for this, nor the connection drop.
            logger.LogWarning("Cannot read the open calls of Asterisk {Server} ({Error}); their ends go unrecorded", server, ex.Message);
            return;
        }

        foreach (var call in stored)
        {
            if (live.Contains(call.ChannelId)) calls.TryAdd(call.ChannelId, call);
            else if (!calls.ContainsKey(call.ChannelId)) recorder.Record(call with { EndCause = UnheardEnd });
        }
        foreach (var id in calls.Keys)
        {
            if (!live.Contains(id) && calls.TryRemove(id, out var gone)) recorder.Record(gone with { EndCause = UnheardEnd });
        }
    }
}
