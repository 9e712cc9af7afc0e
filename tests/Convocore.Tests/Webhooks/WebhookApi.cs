using System.Net;
using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Webhooks;

internal static class WebhookApi
{
    public static async Task<(string Id, string Secret)> Create(ApiClient api, string url, IReadOnlyList<string> events)
    {
        var created = await api.Post("/api/webhooks", new { url, events });
        Assert.True(created.Status == HttpStatusCode.Created, created.ToString());
        return (created.Body!["id"]!.GetValue<string>(), created.Body!["secret"]!.GetValue<string>());
    }

    public static async Task<List<JsonNode>> Deliveries(ApiClient api, string webhookId)
    {
        var log = await api.Get($"/api/webhooks/{webhookId}/deliveries?limit=200");
        Assert.True(log.Status == HttpStatusCode.OK, log.ToString());
        return log.Body!.AsArray().Select(d => d!).ToList();
    }
}
