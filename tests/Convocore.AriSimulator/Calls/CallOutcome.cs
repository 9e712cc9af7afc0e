namespace Convocore.AriSimulator;

public enum CallOutcomeKind
{
    /// <summary>The application sent the channel back to the dialplan.</summary>
    Continued,
    /// <summary>The application hung the channel up (DELETE /channels/{id}).</summary>
    HungUp,
    /// <summary>The caller hung up while the channel was still in Stasis.</summary>
    CallerHungUp,
    /// <summary>No WebSocket was registered for the application, so Stasis() could not start.</summary>
    NotDelivered,
}

/// <param name="Variables">The channel variables set by the application up to that point.</param>
public sealed record CallOutcome(
    CallOutcomeKind Kind,
    IReadOnlyDictionary<string, string> Variables,
    string? Context = null,
    string? Extension = null,
    long? Priority = null,
    string? HangupReason = null,
    int? Cause = null);

/// <summary>One REST command as the simulator received it.</summary>
/// <param name="Timestamp">Stopwatch.GetTimestamp() when the command arrived.</param>
/// <param name="Transport">"http" or "websocket" (REST over WebSocket).</param>
/// <param name="Path">Relative to /ari/, e.g. "channels/1732540000.1/continue".</param>
/// <param name="Query">Decoded query parameters in the order received.</param>
public sealed record ReceivedCommand(
    long Timestamp,
    string Transport,
    string Method,
    string Path,
    IReadOnlyList<KeyValuePair<string, string>> Query,
    string? Body,
    int StatusCode)
{
    public string? QueryValue(string name) => Query.FirstOrDefault(q => q.Key == name).Value;
}

/// <summary>How the simulator answers commands while <see cref="AriSimulator.CommandFault"/> is set.</summary>
public enum CommandFault
{
    None,
    /// <summary>500 Internal Server Error, the command not carried out.</summary>
    InternalServerError,
    /// <summary>Never answered and not carried out: the client's own timeout is all it gets.</summary>
    NoAnswer,
}
