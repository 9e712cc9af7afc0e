namespace Convocore.Silo.Outbound;

/// <summary>What requests to customers' URLs (webhooks, the routing hook) may reach. Both default to true in Development only.</summary>
internal sealed class OutboundOptions
{
    public const string Section = "Convocore:Outbound";

    /// <summary>Lets URLs and connections reach loopback, private, link-local, CGNAT and metadata addresses: for local work and tests.</summary>
    public bool? AllowPrivateTargets { get; set; }

    /// <summary>Lets URLs be plain http.</summary>
    public bool? AllowHttp { get; set; }
}
