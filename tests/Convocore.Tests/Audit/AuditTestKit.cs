using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Audit;

internal static class AuditTestKit
{
    /// <summary>Every entry the audit log shows for the query, following nextCursor.</summary>
    public static async Task<List<JsonNode>> AllEntries(this ApiClient api, string query = "", int limit = 200)
    {
        var entries = new List<JsonNode>();
        string? cursor = null;
        for (var pages = 0; pages < 1000; pages++)
        {
            var separator = query.Length == 0 ? "" : "&";
            var page = await api.Get($"/api/audit?limit={limit}{separator}{query}{(cursor is null ? "" : "&cursor=" + cursor)}");
            Assert.True(page.Status == System.Net.HttpStatusCode.OK, page.ToString());
            entries.AddRange(page.Body!["items"]!.AsArray().Select(e => e!));
            cursor = page.Body!["nextCursor"]?.GetValue<string>();
            if (cursor is null) return entries;
        }
        throw new InvalidOperationException("the audit log does not end");
    }

    public static string Action(this JsonNode entry) => entry["action"]!.GetValue<string>();
    public static string TargetId(this JsonNode entry) => entry["targetId"]!.GetValue<string>();

    public static JsonNode Single(this IEnumerable<JsonNode> entries, string action, string targetId) =>
        Assert.Single(entries, e => e.Action() == action && e.TargetId() == targetId);
}
