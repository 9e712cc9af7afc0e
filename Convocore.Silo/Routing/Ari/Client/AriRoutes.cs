namespace Convocore.Silo.Routing.Ari;

internal enum AriCommandTransport { Http, WebSocket }

internal enum AriVariableRoute { PerVariable, Bulk }

/// <summary>The routes an <see cref="AriClient"/> chose for a server; logged at connect time.</summary>
internal sealed record AriRoutes(string ServerVersion, AriCommandTransport Transport, AriVariableRoute Variables)
{
    /// <summary>HTTP unless asked otherwise: see <see cref="AriConnectionSettings.VariablesOverWebSocket"/>.</summary>
    public AriCommandTransport VariablesTransport { get; init; }

    // "since" of POST /channels/{channelId}/variables in channels.json.
    private static readonly AsteriskVersion[] BulkVariablesSince = [new(20, 20, 0), new(22, 10, 0), new(23, 4, 0)];

    // REST over WebSocket (RESTRequest/RESTResponse in events.json) appeared together with transfer_progress.
    private static readonly AsteriskVersion[] RestOverWebSocketSince = [new(20, 13, 0), new(21, 8, 0), new(22, 3, 0)];

    /// <summary>An unparseable version (e.g. a GIT build) gets the routes every server has.</summary>
    public static AriRoutes Choose(string serverVersion, AriConnectionSettings settings)
    {
        var known = AsteriskVersion.TryParse(serverVersion, out var version);
        var webSocket = known && !settings.ForceHttpTransport && version.Supports(RestOverWebSocketSince);
        var bulk = known && !settings.ForcePerVariableSet && version.Supports(BulkVariablesSince);
        return new AriRoutes(
            serverVersion,
            webSocket ? AriCommandTransport.WebSocket : AriCommandTransport.Http,
            bulk ? AriVariableRoute.Bulk : AriVariableRoute.PerVariable)
        {
            VariablesTransport = webSocket && settings.VariablesOverWebSocket ? AriCommandTransport.WebSocket : AriCommandTransport.Http,
        };
    }
}
