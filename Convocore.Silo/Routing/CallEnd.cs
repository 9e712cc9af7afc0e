namespace Convocore.Silo.Routing;

/// <summary>
/// How a routed call's end reaches us without a channel subscription. With the channel variables the app pushes a hangup
/// handler (<c>CHANNEL(hangup_handler_push)</c>, the <c>[convocore-call-ended]</c> context of asterisk/extensions.conf);
/// when the call hangs up, wherever its dialplan is, the handler runs <c>Stasis(convocore,call-ended,${HANGUPCAUSE})</c>,
/// which Asterisk announces to whichever connection holds the app as a StasisStart, then leaves at once (the channel is
/// hung up). A subscription would have Asterisk turn every later event of the call into JSON for the app, only for the
/// event filter to drop it: that doubled Asterisk's CPU per call (BENCHMARKS.md, "SIP load").
/// </summary>
internal static class CallEnd
{
    /// <summary>The first Stasis argument of the hangup handler's entry; no dialled number looks like it.</summary>
    public const string Marker = "call-ended";

    public static readonly KeyValuePair<string, string> HangupHandler = new("CHANNEL(hangup_handler_push)", "convocore-call-ended,s,1");

    /// <summary>The StasisStart of a call's end: its channel id, when, and why (Asterisk's Q.850 text).</summary>
    public static bool IsEnd(Ari.StasisStart start) => start.Args is [Marker, ..];

    public static string? Cause(Ari.StasisStart start) =>
        start.Args.Count > 1 && int.TryParse(start.Args[1], out var code) ? CauseText(code) : null;

    /// <summary>The texts Asterisk gives these causes (ast_cause2str), as ChannelDestroyed's cause_txt would.</summary>
    private static string CauseText(int code) => code switch
    {
        0 => "Unknown",
        1 => "Unallocated (unassigned) number",
        16 => "Normal Clearing",
        17 => "User busy",
        18 => "No user responding",
        19 => "User alerting, no answer",
        21 => "Call Rejected",
        27 => "Destination out of order",
        31 => "Normal, unspecified",
        34 => "Circuit/channel congestion",
        38 => "Network out of order",
        41 => "Temporary failure",
        42 => "Switching equipment congestion",
        127 => "Interworking, unspecified",
        _ => $"cause {code}",
    };
}
