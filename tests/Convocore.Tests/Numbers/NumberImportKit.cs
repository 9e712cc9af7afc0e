using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>Sending import files and following an import to its end, over the real API.</summary>
internal static class NumberImportKit
{
    public const string Header = "phoneNumber,agent,trunk,region,additionalParams";

    public static Task<ApiResponse> ImportCsv(this ApiClient api, string csv, bool dryRun, string mode = "all-or-nothing") =>
        api.SendContent(HttpMethod.Post, $"/api/numbers/import?dryRun={(dryRun ? "true" : "false")}&mode={mode}",
            new StringContent(csv, Encoding.UTF8, "text/csv"));

    public static Task<ApiResponse> ImportJson(this ApiClient api, string json, bool dryRun, string mode = "all-or-nothing") =>
        api.Send(HttpMethod.Post, $"/api/numbers/import?dryRun={(dryRun ? "true" : "false")}&mode={mode}", json);

    /// <summary>Starts the import (202) and polls its progress until it is done.</summary>
    public static async Task<JsonNode> ApplyCsv(this ApiClient api, string csv, string mode = "all-or-nothing")
    {
        var started = await api.ImportCsv(csv, dryRun: false, mode);
        Assert.True(started.Status == HttpStatusCode.Accepted, $"import: {started}");
        return await api.FollowImport(started.Body!["id"]!.GetValue<string>());
    }

    public static async Task<JsonNode> FollowImport(this ApiClient api, string importId, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var progress = await api.Get($"/api/numbers/import/{importId}");
            Assert.True(progress.Status == HttpStatusCode.OK, $"progress: {progress}");
            var phase = progress.Body!["phase"]!.GetValue<string>();
            if (phase is "done" or "failed") return progress.Body!;
            Assert.True(DateTime.UtcNow < deadline, $"the import did not finish: {progress}");
            await Task.Delay(100);
        }
    }

    public static string[] Statuses(JsonNode report) => report["rows"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()).ToArray();

    public static JsonNode Row(JsonNode report, int row) => report["rows"]!.AsArray().Single(r => r!["row"]!.GetValue<int>() == row)!;

    public static string Csv(params string[] rows) => Header + "\r\n" + string.Join("\r\n", rows) + "\r\n";
}
