using Convocore.Contracts.Trunks;

namespace Convocore.Silo.Routing;

/// <summary>Convocore:Asterisk: the Asterisk servers our Stasis application serves.</summary>
internal sealed class AsteriskOptions
{
    public const string Section = "Convocore:Asterisk";

    public List<AsteriskServerOptions> Servers { get; set; } = [];

    /// <summary>The Stasis application name in the dialplan: Stasis(convocore,${EXTEN}).</summary>
    public string Application { get; set; } = "convocore";

    /// <summary>The dialplan context a routed call continues in, with the agent id as extension.</summary>
    public string AgentContext { get; set; } = "convocore-agent";

    /// <summary>
    /// The context a call continues in when it goes to its number's phone-number or SIP fallback: extension "number" or
    /// "sip", the destination in CONVOCORE_FALLBACK. An agent fallback continues in <see cref="AgentContext"/>.
    /// </summary>
    public string FallbackContext { get; set; } = "convocore-fallback";

    /// <summary>The dialplan context provider calls land in: test calls enter it too, to take a caller's path.</summary>
    public string ProviderContext { get; set; } = "from-trunk";

    /// <summary>Where a test call's caller half waits for the agent to hang up (asterisk/extensions.conf).</summary>
    public string TestCallerContext { get; set; } = "convocore-test-caller";

    /// <summary>The longest our side may take to decide; past it the caller is released with congestion.</summary>
    public TimeSpan DecisionTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Tests force the older routes (HTTP commands, one request per variable) with these.</summary>
    public bool ForceHttpTransport { get; set; }
    public bool ForcePerVariableSet { get; set; }

    /// <summary>
    /// Channel variables go over HTTP by default even when commands use the WebSocket: Asterisk runs one WebSocket's
    /// requests one at a time and a variables request waits for the channel's thread (see AriClient). True sends them
    /// over the WebSocket too, which costs the silo less (no HTTP request per call) where the server keeps up.
    /// </summary>
    public bool ChannelVariablesOverWebSocket { get; set; }
}

internal sealed class AsteriskServerOptions
{
    /// <summary>A stable name for logs, metrics and health; defaults to the ARI URL's host and port.</summary>
    public string? Name { get; set; }
    public Region Region { get; set; }
    public Uri? AriUrl { get; set; }
    public string Username { get; set; } = "";
    public string Password { get; set; } = "";

    public string DisplayName => Name ?? AriUrl?.Authority ?? "unnamed";
}
