using System.Net;
using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>GET /api/numbers: every number of the workspace across trunks, in E.164 order, paged, filtered, isolated.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberListingTests(ConvocoreSystem system)
{
    private static async Task<List<JsonNode>> All(ApiClient api, string query, int limit)
    {
        var items = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var page = await api.Get($"/api/numbers?limit={limit}{query}" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            Assert.True(page.Status == HttpStatusCode.OK, page.ToString());
            items.AddRange(page.Body!["items"]!.AsArray().Select(i => i!));
            cursor = page.Body!["nextCursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return items;
    }

    [Fact]
    public async Task The_listing_spans_every_trunk_in_E164_order_a_page_at_a_time_with_filters()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var other = await s.Workspace.CreateTrunk("Vonage", "EU");
        var sales = await s.Workspace.CreateAgent("Sales desk");
        var n = TestNumbers.Next(7);
        // Alternating trunks and agents, so a page must merge both trunks' lists.
        await s.Api.ApplyCsv(NumberImportKit.Csv(n.Select((x, i) => $"{x},{(i % 3 == 0 ? sales : s.AgentId)},{(i % 2 == 0 ? s.TrunkId : other)},,").ToArray()));
        var elsewhere = await NumberSetup.Create(system, "Pro");
        await elsewhere.AddOk(TestNumbers.Next());

        var all = await All(s.Api, "", limit: 3);
        var byAgent = await All(s.Api, $"&agentId={sales}", limit: 2);
        var byTrunk = await All(s.Api, $"&trunkId={other}", limit: 2);
        var byTitle = await All(s.Api, "&search=sales", limit: 100);
        var byDigits = await All(s.Api, "&search=" + Uri.EscapeDataString(n[4][^4..]), limit: 100);

        Assert.Equal(n, all.Select(i => i["phoneNumber"]!.GetValue<string>()));
        Assert.Equal(other, all[1]["trunkId"]!.GetValue<string>());
        Assert.Equal("Sales desk", all[0]["agentTitle"]!.GetValue<string>());
        string[] salesNumbers = [n[0], n[3], n[6]];
        Assert.Equal(salesNumbers, byAgent.Select(i => i["phoneNumber"]!.GetValue<string>()));
        Assert.Equal([n[1], n[3], n[5]], byTrunk.Select(i => i["phoneNumber"]!.GetValue<string>()));
        Assert.Equal(salesNumbers, byTitle.Select(i => i["phoneNumber"]!.GetValue<string>()));
        Assert.Equal([n[4]], byDigits.Select(i => i["phoneNumber"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_cursor_keeps_its_place_when_numbers_are_added_before_it()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var n = TestNumbers.Next(6);
        foreach (var x in n[1..]) await s.AddOk(x);

        var first = await s.Api.Get("/api/numbers?limit=2");
        await s.AddOk(n[0]);
        var second = await s.Api.Get("/api/numbers?limit=2&cursor=" + Uri.EscapeDataString(first.Body!["nextCursor"]!.GetValue<string>()));

        Assert.Equal([n[1], n[2]], first.Body!["items"]!.AsArray().Select(i => i!["phoneNumber"]!.GetValue<string>()));
        Assert.Equal([n[3], n[4]], second.Body!["items"]!.AsArray().Select(i => i!["phoneNumber"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Malformed_parameters_are_400_problems_and_another_workspaces_agent_or_trunk_is_not_found()
    {
        var s = await NumberSetup.Create(system);
        var elsewhere = await NumberSetup.Create(system);

        (await s.Api.Get("/api/numbers?limit=ten")).AssertProblem(HttpStatusCode.BadRequest, "limit must be a whole number of items per page, at most 1000");
        (await s.Api.Get("/api/numbers?cursor=abc")).AssertProblem(HttpStatusCode.BadRequest, "cursor is not a cursor this list gave out");
        (await s.Api.Get("/api/numbers?agentId=NOT-AN-ID")).AssertProblem(HttpStatusCode.BadRequest, "agentId must be an id this API gave out: lowercase letters and digits");
        (await s.Api.Get("/api/numbers?trunkId=x%20y")).AssertProblem(HttpStatusCode.BadRequest, "trunkId must be an id this API gave out: lowercase letters and digits");
        (await s.Api.Get("/api/numbers?search=" + new string('5', 65))).AssertProblem(HttpStatusCode.BadRequest, "search must be at most 64 characters");
        (await s.Api.Get($"/api/numbers?agentId={elsewhere.AgentId}")).AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        (await s.Api.Get($"/api/numbers?trunkId={elsewhere.TrunkId}")).AssertProblem(HttpStatusCode.NotFound, "Trunk not found");
    }
}
