namespace Convocore.Silo.Routing;

/// <summary>
/// Calls that fail on our side (Asterisk answering 5xx or not at all, a decision past its bound) fail by the hundred in a
/// burst: the first of each kind of failure in a streak is logged as a warning, the rest at debug level, and the first
/// call that routes again ends the streak with one line that sums it up.
/// </summary>
internal sealed class RoutingFailureLog(string server, ILogger logger)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, int> kinds = new(StringComparer.Ordinal);
    private int failing;
    private int released;
    private DateTime since;

    public void Failed(string channelId, Exception error)
    {
        var kind = Kind(error);
        bool firstOfKind;
        lock (gate)
        {
            if (released++ == 0) since = DateTime.UtcNow;
            firstOfKind = !kinds.TryGetValue(kind, out var count);
            kinds[kind] = count + 1;
            Volatile.Write(ref failing, 1);
        }
        if (firstOfKind)
            logger.LogWarning(
                "Routing channel {ChannelId} on {Server} failed ({Error}: {Message}); releasing it with congestion, and every call that fails so until calls route again (counted, logged at debug level)",
                channelId, server, kind, error.Message);
        else
            logger.LogDebug("Routing channel {ChannelId} on {Server} failed ({Error}); releasing it with congestion", channelId, server, kind);
    }

    /// <summary>A call was handed to its agent: ends a streak of failures, if any. Free on the call path otherwise.</summary>
    public void Routed()
    {
        if (Volatile.Read(ref failing) == 0) return;
        int count;
        string summary;
        TimeSpan duration;
        lock (gate)
        {
            if (released == 0) return;
            (count, duration) = (released, DateTime.UtcNow - since);
            summary = string.Join(", ", kinds.Select(k => $"{k.Value} {k.Key}"));
            kinds.Clear();
            released = 0;
            Volatile.Write(ref failing, 0);
        }
        logger.LogInformation("Calls on {Server} route again; {Count} released with congestion over {Duration} ({Failures})",
            server, count, duration, summary);
    }

    private static string Kind(Exception error) => error switch
    {
        Ari.AriRequestException ari => $"ARI {ari.StatusCode}",
        TimeoutException or TaskCanceledException => "timeout",
        _ => error.GetType().Name,
    };
}
