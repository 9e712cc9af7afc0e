using System.Net;
using System.Text.Json.Nodes;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>Reassigning a number in place, deleting it, and refusing to orphan numbers.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberLifecycleTests(ConvocoreSystem system)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Reassign_moves_the_number_to_the_new_agent_in_place(bool escapedPath)
    {
        var s = await NumberSetup.Create(system);
        var newAgent = await s.Workspace.CreateAgent("Night shift");
        var number = TestNumbers.Next();
        var added = await s.Add(number, additionalParams: new { language = "de" });
        Assert.Equal(HttpStatusCode.Created, added.Status);
        var path = $"/api/trunks/{s.TrunkId}/numbers/{(escapedPath ? TestNumbers.Escaped(number) : number)}";

        var reassigned = await s.Api.Patch(path, new { agentId = newAgent });

        Assert.True(reassigned.Status == HttpStatusCode.OK, reassigned.ToString());
        Assert.Equal(number, reassigned.Body!["phoneNumber"]!.GetValue<string>());
        Assert.Equal(newAgent, reassigned.Body!["agentId"]!.GetValue<string>());
        Assert.Equal("Night shift", reassigned.Body!["agentTitle"]!.GetValue<string>());
        Assert.Equal(Created(added), Created(reassigned));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"language":"de"}"""), reassigned.Body!["additionalParams"]), reassigned.ToString());

        var assignment = await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment();
        Assert.NotNull(assignment);
        Assert.Equal(newAgent, assignment.AgentId);
        Assert.Equal(Created(added), assignment.CreatedAt);

        var listed = Assert.Single(await s.ListAll());
        Assert.Equal(newAgent, listed["agentId"]!.GetValue<string>());
        Assert.Equal(Created(added), Created(listed));
        var fetched = await s.Api.Get(path);
        Assert.Equal(HttpStatusCode.OK, fetched.Status);
        Assert.Equal(newAgent, fetched.Body!["agentId"]!.GetValue<string>());
        Assert.Equal(0, await s.AgentNumberCount(s.AgentId));
        Assert.Equal(1, await s.AgentNumberCount(newAgent));
        Assert.Equal(1, await s.NumberCount());
    }

    [Fact]
    public async Task Put_replaces_additionalParams_and_a_patch_that_names_only_the_agent_keeps_them()
    {
        var s = await NumberSetup.Create(system);
        var second = await s.Workspace.CreateAgent("Second");
        var third = await s.Workspace.CreateAgent("Third");
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await s.Add(number, additionalParams: new { a = 1 })).Status);
        var path = $"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}";

        var replaced = await s.Api.Put(path, """{"agentId":"%A","additionalParams":{"b":[true,"two"]}}""".Replace("%A", second));
        var kept = await s.Api.Patch(path, new { agentId = third });

        Assert.Equal(HttpStatusCode.OK, replaced.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"b":[true,"two"]}"""), replaced.Body!["additionalParams"]), replaced.ToString());
        Assert.Equal(HttpStatusCode.OK, kept.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"b":[true,"two"]}"""), kept.Body!["additionalParams"]), kept.ToString());
        var assignment = (await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!;
        Assert.Equal(third, assignment.AgentId);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"b":[true,"two"]}"""), JsonNode.Parse(assignment.AdditionalParamsJson!)));
    }

    [Fact]
    public async Task Reassign_to_an_unavailable_agent_is_refused_and_changes_nothing()
    {
        var s = await NumberSetup.Create(system);
        var other = await NumberSetup.Create(system);
        var silent = await s.CreateAgent(new { title = "Chat only", voiceEnabled = false });
        var number = TestNumbers.Next();
        var added = await s.Add(number, additionalParams: new { keep = "me" });
        Assert.Equal(HttpStatusCode.Created, added.Status);
        var before = await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment();
        var path = $"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}";

        (await s.Api.Put(path, new { agentId = silent, additionalParams = new { changed = true } })).AssertProblem(HttpStatusCode.BadRequest, "Agent is not voice-enabled");
        (await s.Api.Patch(path, new { agentId = "nosuchagent" })).AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        (await s.Api.Patch(path, new { agentId = other.AgentId })).AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        (await s.Api.Patch(path, new { agentId = "" })).AssertProblem(HttpStatusCode.BadRequest, "Agent is required");
        (await s.Api.Put(path, new { agentId = s.AgentId, additionalParams = new[] { 1 } })).AssertProblem(HttpStatusCode.BadRequest, "additionalParams must be a JSON object");

        Assert.Equal(before, await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment());
        var listed = Assert.Single(await s.ListAll());
        Assert.Equal(s.AgentId, listed["agentId"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"keep":"me"}"""), listed["additionalParams"]));
        Assert.Equal(1, await s.AgentNumberCount(s.AgentId));
        Assert.Equal(0, await s.AgentNumberCount(silent));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Delete_removes_the_number_everywhere_and_a_second_delete_is_404(bool escapedPath)
    {
        var s = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        var kept = TestNumbers.Next();
        await s.AddOk(number);
        await s.AddOk(kept);
        var path = $"/api/trunks/{s.TrunkId}/numbers/{(escapedPath ? TestNumbers.Escaped(number) : number)}";

        var deleted = await s.Api.Delete(path);

        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal([kept], await s.ListedNumbers());
        Assert.Equal(1, await s.NumberCount());
        Assert.Equal(1, await s.AgentNumberCount(s.AgentId));
        Assert.Equal(1, (await s.Api.Get($"/api/trunks/{s.TrunkId}")).Body!["numberCount"]!.GetValue<int>());
        Assert.Null(await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment());
        (await s.Api.Get(path)).AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
        (await s.Api.Delete(path)).AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
    }

    [Fact]
    public async Task A_deleted_number_can_be_added_again_by_any_workspace()
    {
        var s = await NumberSetup.Create(system);
        var other = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await s.AddOk(number);
        Assert.Equal(HttpStatusCode.NoContent, (await s.Api.Delete($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}")).Status);

        await other.AddOk(number);
        Assert.Equal(HttpStatusCode.NoContent, (await other.Api.Delete($"/api/trunks/{other.TrunkId}/numbers/{TestNumbers.Escaped(number)}")).Status);
        await s.AddOk(number);

        Assert.Equal(s.Workspace.Id, (await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!.WorkspaceId);
        Assert.Equal([number], await s.ListedNumbers());
        Assert.Empty(await other.ListedNumbers());
        Assert.Equal(1, await s.NumberCount());
        Assert.Equal(0, await other.NumberCount());
    }

    [Fact]
    public async Task A_number_is_reached_only_through_its_own_trunk()
    {
        var s = await NumberSetup.Create(system);
        var secondTrunk = await s.Workspace.CreateTrunk("Telnyx");
        var number = TestNumbers.Next();
        await s.AddOk(number);

        (await s.Api.Get($"/api/trunks/{secondTrunk}/numbers/{TestNumbers.Escaped(number)}")).AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
        (await s.Api.Patch($"/api/trunks/{secondTrunk}/numbers/{TestNumbers.Escaped(number)}", new { agentId = s.AgentId })).AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
        (await s.Api.Delete($"/api/trunks/{secondTrunk}/numbers/{TestNumbers.Escaped(number)}")).AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
        Assert.Equal(s.TrunkId, (await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!.TrunkId);
    }

    [Fact]
    public async Task An_agent_that_still_answers_numbers_cannot_be_deleted_until_they_are_gone()
    {
        var s = await NumberSetup.Create(system);
        var spare = await s.Workspace.CreateAgent("Spare");
        var numbers = TestNumbers.Next(2);
        foreach (var number in numbers) await s.AddOk(number);

        var refused = await s.Api.Delete($"/api/agents/{s.AgentId}");

        refused.AssertProblem(HttpStatusCode.Conflict, "Agent still answers 2 numbers: reassign or delete them first");
        Assert.Equal(2, await s.AgentNumberCount(s.AgentId));

        Assert.Equal(HttpStatusCode.OK, (await s.Api.Patch($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(numbers[0])}", new { agentId = spare })).Status);
        (await s.Api.Delete($"/api/agents/{s.AgentId}")).AssertProblem(HttpStatusCode.Conflict, "Agent still answers 1 number: reassign or delete them first");
        Assert.Equal(HttpStatusCode.NoContent, (await s.Api.Delete($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(numbers[1])}")).Status);

        Assert.Equal(HttpStatusCode.NoContent, (await s.Api.Delete($"/api/agents/{s.AgentId}")).Status);
        (await s.Api.Get($"/api/agents/{s.AgentId}")).AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        Assert.Equal(spare, (await system.Client.GetGrain<IPhoneNumberGrain>(numbers[0]).GetAssignment())!.AgentId);
    }

    [Fact]
    public async Task A_trunk_that_still_holds_numbers_cannot_be_deleted_until_they_are_gone()
    {
        var s = await NumberSetup.Create(system);
        var numbers = TestNumbers.Next(3);
        foreach (var number in numbers) await s.AddOk(number);

        var refused = await s.Api.Delete($"/api/trunks/{s.TrunkId}");

        refused.AssertProblem(HttpStatusCode.Conflict, "Trunk still holds 3 numbers: delete them first");
        Assert.Equal(numbers, await s.ListedNumbers());
        foreach (var number in numbers)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await s.Api.Delete($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}")).Status);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await s.Api.Delete($"/api/trunks/{s.TrunkId}")).Status);
        (await s.Api.Get($"/api/trunks/{s.TrunkId}")).AssertProblem(HttpStatusCode.NotFound, "Trunk not found");
        (await s.Api.Get($"/api/trunks/{s.TrunkId}/numbers")).AssertProblem(HttpStatusCode.NotFound, "Trunk not found");
        Assert.Equal(0, await s.NumberCount());
    }

    [Fact]
    public async Task The_location_of_a_created_number_answers_with_that_number()
    {
        var s = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        var created = await s.Add(number);
        Assert.Equal(HttpStatusCode.Created, created.Status);

        var fetched = await s.Api.Get($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}");

        Assert.Equal(HttpStatusCode.OK, fetched.Status);
        Assert.True(JsonNode.DeepEquals(created.Body, fetched.Body), $"{created} vs {fetched}");
    }

    private static DateTimeOffset Created(ApiResponse response) => Created(response.Body!);

    private static DateTimeOffset Created(JsonNode item) => DateTimeOffset.Parse(item["createdAt"]!.GetValue<string>());
}

/// <summary>Listing a trunk's numbers a page at a time.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberPagingTests(ConvocoreSystem system)
{
    [Fact]
    public async Task A_trunk_with_250_numbers_lists_in_3_ordered_pages_without_duplicates()
    {
        var s = await NumberSetup.Create(system, "Enterprise");
        var numbers = TestNumbers.Next(250);
        var responses = await Task.WhenAll(numbers.Select(n => s.Add(n)));
        Assert.All(responses, r => Assert.True(r.Status == HttpStatusCode.Created, r.ToString()));

        var pages = new List<(List<string> Items, string? Next)>();
        string? cursor = null;
        do
        {
            var page = await s.Api.Get($"/api/trunks/{s.TrunkId}/numbers?limit=100" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            Assert.Equal(HttpStatusCode.OK, page.Status);
            cursor = page.Body!["nextCursor"]?.GetValue<string>();
            pages.Add((page.Body!["items"]!.AsArray().Select(i => i!["phoneNumber"]!.GetValue<string>()).ToList(), cursor));
            Assert.True(pages.Count <= 3, "more than 3 pages");
        }
        while (cursor is not null);

        Assert.Equal([100, 100, 50], pages.Select(p => p.Items.Count));
        Assert.NotNull(pages[0].Next);
        Assert.NotNull(pages[1].Next);
        Assert.Null(pages[2].Next);
        var all = pages.SelectMany(p => p.Items).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(numbers.Order(StringComparer.Ordinal), all);
        Assert.Equal(250, await s.NumberCount());
        Assert.Equal(250, (await s.Api.Get($"/api/trunks/{s.TrunkId}")).Body!["numberCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_page_that_ends_exactly_at_the_last_number_has_no_next_cursor()
    {
        var s = await NumberSetup.Create(system, "Free");
        var numbers = TestNumbers.Next(4);
        await Task.WhenAll(numbers.Select(n => s.AddOk(n)));

        var first = await s.Api.Get($"/api/trunks/{s.TrunkId}/numbers?limit=2");
        var second = await s.Api.Get($"/api/trunks/{s.TrunkId}/numbers?limit=2&cursor={Uri.EscapeDataString(first.Body!["nextCursor"]!.GetValue<string>())}");
        var everything = await s.Api.Get($"/api/trunks/{s.TrunkId}/numbers?limit=4");

        Assert.Equal(numbers[..2], first.Body!["items"]!.AsArray().Select(i => i!["phoneNumber"]!.GetValue<string>()));
        Assert.Equal(numbers[2..], second.Body!["items"]!.AsArray().Select(i => i!["phoneNumber"]!.GetValue<string>()));
        Assert.Null(second.Body!["nextCursor"]);
        Assert.Equal(4, everything.Body!["items"]!.AsArray().Count);
        Assert.Null(everything.Body!["nextCursor"]);
    }

    [Fact]
    public async Task An_empty_trunk_lists_no_numbers_and_no_cursor()
    {
        var s = await NumberSetup.Create(system);

        var page = await s.Api.Get($"/api/trunks/{s.TrunkId}/numbers");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Empty(page.Body!["items"]!.AsArray());
        Assert.Null(page.Body!["nextCursor"]);
    }
}

/// <summary>The published API description.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberOpenApiTests(ConvocoreSystem system)
{
    [Fact]
    public async Task The_OpenAPI_document_lists_the_number_routes()
    {
        using var http = new HttpClient { BaseAddress = system.WebAddress };
        var response = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["paths"]!.AsObject()
            .ToDictionary(p => p.Key.TrimEnd('/'), p => p.Value!.AsObject().Select(m => m.Key).ToHashSet());

        Assert.True(paths.TryGetValue("/api/trunks/{trunkId}/numbers", out var collection), string.Join(", ", paths.Keys));
        Assert.Contains("get", collection);
        Assert.Contains("post", collection);
        Assert.True(paths.TryGetValue("/api/trunks/{trunkId}/numbers/{phoneNumber}", out var item), string.Join(", ", paths.Keys));
        Assert.Contains("get", item);
        Assert.Contains("put", item);
        Assert.Contains("delete", item);
    }
}
