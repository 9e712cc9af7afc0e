using Convocore.Tests.Routing;

namespace Convocore.Tests.Webhooks;

/// <summary>The system on the ARI simulator, its silos allowed to reach receivers on loopback over http, with a short retry schedule.</summary>
public sealed class WebhookSystem : RoutingSystem
{
    public static readonly IReadOnlyDictionary<string, string?> Settings = new Dictionary<string, string?>
    {
        ["Convocore:Outbound:AllowPrivateTargets"] = "true",
        ["Convocore:Outbound:AllowHttp"] = "true",
        ["Convocore:Webhooks:Timeout"] = "00:00:02",
        ["Convocore:Webhooks:FirstRetryDelay"] = "00:00:00.200",
        ["Convocore:Webhooks:MaxRetryDelay"] = "00:00:01",
        ["Convocore:Webhooks:PollInterval"] = "00:00:00.050",
        ["Convocore:Webhooks:ClaimAfter"] = "00:00:05",
    };

    protected override IEnumerable<KeyValuePair<string, string?>> SiloSettings => base.SiloSettings.Concat(Settings);
}

[CollectionDefinition(Name)]
public sealed class WebhookCollection : ICollectionFixture<WebhookSystem>
{
    public const string Name = "webhooks";
}
