namespace Convocore.Silo.Routing.Ari;

/// <summary>How to reach one Asterisk server's ARI and which Stasis application to register.</summary>
/// <param name="BaseUrl">The HTTP server of Asterisk, e.g. http://127.0.0.1:8088 (without /ari).</param>
internal sealed record AriConnectionSettings(Uri BaseUrl, string Username, string Password, string Application)
{
    /// <summary>Send commands over HTTP even when the server supports REST over WebSocket.</summary>
    public bool ForceHttpTransport { get; init; }

    /// <summary>Set variables one request each even when the server supports the bulk route.</summary>
    public bool ForcePerVariableSet { get; init; }

    /// <summary>Set channel variables over the events WebSocket when commands use it (else always over HTTP).</summary>
    public bool VariablesOverWebSocket { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the events WebSocket is pinged, and how long a pong may take before the connection counts as dead.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    // Records print every property; the password must never reach a log.
    public override string ToString() =>
        $"AriConnectionSettings {{ BaseUrl = {BaseUrl}, Username = {Username}, Application = {Application}, " +
        $"ForceHttpTransport = {ForceHttpTransport}, ForcePerVariableSet = {ForcePerVariableSet}, VariablesOverWebSocket = {VariablesOverWebSocket} }}";
}
