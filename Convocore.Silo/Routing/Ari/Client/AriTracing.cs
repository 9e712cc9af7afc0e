using System.Diagnostics;

namespace Convocore.Silo.Routing.Ari;

/// <summary>
/// One span per ARI request made inside a trace (a call's), over either transport, named by method and route template
/// (<c>ARI POST /channels/{channelId}/variables</c>): never an id in the name. Requests outside a trace (connecting,
/// listing channels) start none.
/// </summary>
internal static class AriTracing
{
    public const string SourceName = "Convocore.Ari";

    public const string SetVariables = "ARI POST /channels/{channelId}/variables";
    public const string SetVariable = "ARI POST /channels/{channelId}/variable";
    public const string Continue = "ARI POST /channels/{channelId}/continue";
    public const string Hangup = "ARI DELETE /channels/{channelId}";
    public const string AsteriskInfo = "ARI GET /asterisk/info";
    public const string EventFilter = "ARI PUT /applications/{applicationName}/eventFilter";
    public const string Subscribe = "ARI POST /applications/{applicationName}/subscription";
    public const string Channels = "ARI GET /channels";
    public const string Originate = "ARI POST /channels";

    private static readonly ActivitySource Source = new(SourceName);

    public static Activity? Start(string name, AriCommandTransport transport)
    {
        if (Activity.Current is null) return null;
        var span = Source.StartActivity(name, ActivityKind.Client);
        if (span is { IsAllDataRequested: true })
            span.SetTag("convocore.ari.transport", transport == AriCommandTransport.WebSocket ? "websocket" : "http");
        return span;
    }

    public static void Answered(Activity? span, int statusCode)
    {
        if (span is null) return;
        span.SetTag("http.response.status_code", statusCode);
        if (statusCode is < 200 or > 299) span.SetStatus(ActivityStatusCode.Error);
    }

    public static void Failed(Activity? span, Exception error) => span?.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
}
