using System.Net;
using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>Numbers are unique across all workspaces of a system, so every test takes fresh ones from here.</summary>
internal static class TestNumbers
{
    // +1555 and seven digits: a North American test range, always a possible number. Starts above +15551234567,
    // which the validation table uses literally.
    private static int next = 2_000_000;

    public static string Next() => "+1555" + Interlocked.Increment(ref next).ToString("D7");

    /// <summary><paramref name="count"/> consecutive numbers, in E.164 (string) order.</summary>
    public static string[] Next(int count)
    {
        var last = Interlocked.Add(ref next, count);
        return Enumerable.Range(last - count + 1, count).Select(n => "+1555" + n.ToString("D7")).ToArray();
    }

    /// <summary>The number as a path segment: "%2B1555…".</summary>
    public static string Escaped(string number) => Uri.EscapeDataString(number);
}

/// <summary>A fresh workspace with one voice-ready agent and one trunk: what most number tests start from.</summary>
internal sealed record NumberSetup(Workspace Workspace, string TrunkId, string AgentId)
{
    public ApiClient Api => Workspace.Api;

    public static async Task<NumberSetup> Create(ConvocoreSystem system, string plan = "Free")
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, plan, "Numbers test");
        var agentId = await workspace.CreateAgent();
        var trunkId = await workspace.CreateTrunk();
        return new NumberSetup(workspace, trunkId, agentId);
    }

    public NumberSetup At(Uri webAddress) => this with { Workspace = Workspace.At(webAddress) };

    public async Task<ApiResponse> Add(string phoneNumber, string? agentId = null, object? additionalParams = null) =>
        await Workspace.AddNumber(TrunkId, phoneNumber, agentId ?? AgentId, additionalParams);

    /// <summary>Adds a fresh number with one more field written as raw JSON, to send what a typed body cannot.</summary>
    public Task<ApiResponse> AddWithRawField(string field, string json) =>
        Api.Post($"/api/trunks/{TrunkId}/numbers",
            $$"""{"phoneNumber":"{{TestNumbers.Next()}}","agentId":"{{AgentId}}","{{field}}":{{json}}}""");

    public async Task AddOk(string phoneNumber, string? agentId = null)
    {
        var response = await Add(phoneNumber, agentId);
        Assert.True(response.Status == HttpStatusCode.Created, $"adding {phoneNumber}: {response}");
    }

    public async Task<int> NumberCount()
    {
        var workspace = await Api.Get("/api/workspace");
        Assert.Equal(HttpStatusCode.OK, workspace.Status);
        return workspace.Body!["numberCount"]!.GetValue<int>();
    }

    /// <summary>Every number of a trunk, following nextCursor to the end.</summary>
    public async Task<List<JsonNode>> ListAll(string? trunkId = null, int limit = 100)
    {
        var items = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var path = $"/api/trunks/{trunkId ?? TrunkId}/numbers?limit={limit}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var page = await Api.Get(path);
            Assert.True(page.Status == HttpStatusCode.OK, $"GET {path}: {page}");
            items.AddRange(page.Body!["items"]!.AsArray().Select(i => i!));
            cursor = page.Body!["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return items;
    }

    public async Task<List<string>> ListedNumbers(string? trunkId = null) =>
        (await ListAll(trunkId)).Select(i => i["phoneNumber"]!.GetValue<string>()).ToList();

    public async Task<int> AgentNumberCount(string agentId)
    {
        var agent = await Api.Get($"/api/agents/{agentId}");
        Assert.True(agent.Status == HttpStatusCode.OK, $"GET agent: {agent}");
        return agent.Body!["numberCount"]!.GetValue<int>();
    }

    public async Task<string> CreateAgent(object body)
    {
        var response = await Api.Post("/api/agents", body);
        Assert.True(response.Status == HttpStatusCode.Created, $"creating agent: {response}");
        return response.Body!["id"]!.GetValue<string>();
    }
}

internal static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after a generous deadline.</summary>
    public static async Task True(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
                last = null;
            }
            catch (Exception ex)
            {
                // The cluster may still be coming up after a restart.
                last = ex;
            }
            await Task.Delay(200);
        }
        Assert.Fail($"Not reached within {seconds} s: {what}" + (last is null ? "" : $" (last error: {last.Message})"));
    }
}

internal static class ProblemComparison
{
    /// <summary>The problem body minus its per-request traceId: two answers that must be indistinguishable compare equal.</summary>
    public static string WithoutTraceId(this ApiResponse response)
    {
        var body = response.Body!.DeepClone().AsObject();
        body.Remove("traceId");
        return $"{(int)response.Status} {response.ContentType} {body.ToJsonString()}";
    }
}
