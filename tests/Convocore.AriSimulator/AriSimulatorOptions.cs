namespace Convocore.AriSimulator;

public sealed class AriSimulatorOptions
{
    /// <summary>Reported by GET /asterisk/info; decides which routes exist (their "since") and REST over WebSocket.</summary>
    public string AsteriskVersion { get; set; } = "23.4.1";

    public string Username { get; set; } = "asterisk";
    public string Password { get; set; } = "asterisk";

    /// <summary>The Stasis application that <see cref="AriSimulator.PlaceCall"/> sends calls to.</summary>
    public string Application { get; set; } = "convocore";

    public string AsteriskId { get; set; } = "02:fc:00:00:00:01";

    /// <summary>Like ari.conf <c>channelvars</c>: variables reported in every channel snapshot.</summary>
    public IReadOnlyList<string> ReportedChannelVariables { get; set; } = [];

    /// <summary>
    /// The dialplan context whose hangup handler, pushed by setting <c>CHANNEL(hangup_handler_push)</c> to
    /// "context,s,1", enters Stasis(app,call-ended,${HANGUPCAUSE}) when the call ends (asterisk/extensions.conf).
    /// </summary>
    public string CallEndedContext { get; set; } = "convocore-call-ended";

    /// <summary>When set, a continued call ends (cause 16) after this long.</summary>
    public TimeSpan? ContinuedCallDuration { get; set; }

    /// <summary>
    /// Answer 400 to query parameters the API description does not list. Stricter than Asterisk, whose generated
    /// handlers skip unknown names, so that a misspelt parameter fails a test instead of being silently ignored.
    /// </summary>
    public bool RejectUnknownQueryParameters { get; set; } = true;

    /// <summary>
    /// Asterisk's clock, for channel creation times and event timestamps: a test that sets it gets calls at known
    /// times and exact durations (the ARI format keeps milliseconds).
    /// </summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>Keep every command in <see cref="AriSimulator.Commands"/>; a long load run may turn this off.</summary>
    public bool RecordCommands { get; set; } = true;
}
