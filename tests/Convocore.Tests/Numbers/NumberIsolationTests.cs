using System.Net;
using System.Net.Http.Headers;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>One workspace cannot see or touch another's trunks, agents and numbers, and cannot tell them from missing ones.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberIsolationTests(ConvocoreSystem system)
{
    [Fact]
    public async Task Another_workspaces_trunk_is_indistinguishable_from_a_missing_one()
    {
        var mine = await NumberSetup.Create(system);
        var theirs = await NumberSetup.Create(system);
        await theirs.AddOk(TestNumbers.Next());
        var missing = "nosuchtrunk0";
        var number = TestNumbers.Next();

        async Task SameAnswer(Func<string, Task<ApiResponse>> request, HttpStatusCode status, string detail)
        {
            var foreign = await request(theirs.TrunkId);
            var absent = await request(missing);
            foreign.AssertProblem(status, detail);
            absent.AssertProblem(status, detail);
            Assert.Equal(absent.WithoutTraceId(), foreign.WithoutTraceId());
        }

        await SameAnswer(t => mine.Api.Get($"/api/trunks/{t}"), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Api.Put($"/api/trunks/{t}", new { name = "Mine now", region = "EU", active = true, defaultCountry = (string?)null }), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Api.Patch($"/api/trunks/{t}", new { name = "Mine now" }), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Api.Delete($"/api/trunks/{t}"), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Api.Get($"/api/trunks/{t}/numbers"), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Workspace.AddNumber(t, number, mine.AgentId), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Api.Get($"/api/trunks/{t}/numbers/{TestNumbers.Escaped(number)}"), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Api.Put($"/api/trunks/{t}/numbers/{TestNumbers.Escaped(number)}", new { agentId = mine.AgentId, additionalParams = (object?)null }), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Api.Patch($"/api/trunks/{t}/numbers/{TestNumbers.Escaped(number)}", new { agentId = mine.AgentId }), HttpStatusCode.NotFound, "Trunk not found");
        await SameAnswer(t => mine.Api.Delete($"/api/trunks/{t}/numbers/{TestNumbers.Escaped(number)}"), HttpStatusCode.NotFound, "Trunk not found");

        Assert.DoesNotContain((await mine.Api.Get("/api/trunks")).Body!.AsArray(), t => t!["id"]!.GetValue<string>() == theirs.TrunkId);
        var trunk = await theirs.Api.Get($"/api/trunks/{theirs.TrunkId}");
        Assert.Equal("Twilio", trunk.Body!["name"]!.GetValue<string>());
        Assert.Equal(1, trunk.Body!["numberCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Another_workspaces_agent_is_indistinguishable_from_a_missing_one()
    {
        var mine = await NumberSetup.Create(system);
        var theirs = await NumberSetup.Create(system);
        await theirs.AddOk(TestNumbers.Next());
        var missing = "nosuchagent0";

        async Task SameAnswer(Func<string, Task<ApiResponse>> request, HttpStatusCode status, string detail)
        {
            var foreign = await request(theirs.AgentId);
            var absent = await request(missing);
            foreign.AssertProblem(status, detail);
            absent.AssertProblem(status, detail);
            Assert.Equal(absent.WithoutTraceId(), foreign.WithoutTraceId());
        }

        var voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" };
        await SameAnswer(a => mine.Api.Get($"/api/agents/{a}"), HttpStatusCode.NotFound, "Agent not found");
        await SameAnswer(a => mine.Api.Put($"/api/agents/{a}", new { title = "Mine now", voiceEnabled = true, voice }), HttpStatusCode.NotFound, "Agent not found");
        await SameAnswer(a => mine.Api.Patch($"/api/agents/{a}", new { title = "Mine now" }), HttpStatusCode.NotFound, "Agent not found");
        await SameAnswer(a => mine.Api.Delete($"/api/agents/{a}"), HttpStatusCode.NotFound, "Agent not found");
        await SameAnswer(a => mine.Add(TestNumbers.Next(), agentId: a), HttpStatusCode.NotFound, "Agent not found");

        var agent = await theirs.Api.Get($"/api/agents/{theirs.AgentId}");
        Assert.Equal("Receptionist", agent.Body!["title"]!.GetValue<string>());
        Assert.Equal(1, agent.Body!["numberCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Another_workspaces_number_is_indistinguishable_from_a_missing_one()
    {
        var mine = await NumberSetup.Create(system);
        var theirs = await NumberSetup.Create(system);
        var theirNumber = TestNumbers.Next();
        await theirs.AddOk(theirNumber);
        var missing = TestNumbers.Next();

        async Task SameAnswer(Func<string, Task<ApiResponse>> request)
        {
            var foreign = await request(theirNumber);
            var absent = await request(missing);
            foreign.AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
            absent.AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
            Assert.Equal(absent.WithoutTraceId(), foreign.WithoutTraceId());
        }

        await SameAnswer(n => mine.Api.Get($"/api/trunks/{mine.TrunkId}/numbers/{TestNumbers.Escaped(n)}"));
        await SameAnswer(n => mine.Api.Put($"/api/trunks/{mine.TrunkId}/numbers/{TestNumbers.Escaped(n)}", new { agentId = mine.AgentId, additionalParams = (object?)null }));
        await SameAnswer(n => mine.Api.Patch($"/api/trunks/{mine.TrunkId}/numbers/{TestNumbers.Escaped(n)}", new { agentId = mine.AgentId }));
        await SameAnswer(n => mine.Api.Delete($"/api/trunks/{mine.TrunkId}/numbers/{TestNumbers.Escaped(n)}"));

        var assignment = await system.Client.GetGrain<IPhoneNumberGrain>(theirNumber).GetAssignment();
        Assert.NotNull(assignment);
        Assert.Equal(theirs.Workspace.Id, assignment.WorkspaceId);
        Assert.Equal(theirs.AgentId, assignment.AgentId);
        Assert.Equal(1, await theirs.NumberCount());
        Assert.Equal(0, await mine.NumberCount());
    }

    [Fact]
    public async Task A_revoked_API_key_is_refused_with_401()
    {
        var s = await NumberSetup.Create(system);
        var operatorApi = new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey);
        var issued = await operatorApi.Post($"/api/admin/workspaces/{s.Workspace.Id}/api-keys");
        Assert.Equal(HttpStatusCode.Created, issued.Status);
        var second = new ApiClient(system.WebAddress, issued.Body!["apiKey"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await second.Get("/api/workspace")).Status);

        var revoked = await operatorApi.Delete($"/api/admin/workspaces/{s.Workspace.Id}/api-keys/{issued.Body!["keyId"]!.GetValue<string>()}");

        Assert.Equal(HttpStatusCode.NoContent, revoked.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.Get("/api/workspace")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.Get($"/api/trunks/{s.TrunkId}/numbers")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await (s.Workspace with { Api = second }).AddNumber(s.TrunkId, TestNumbers.Next(), s.AgentId)).Status);
        // The first key is untouched.
        Assert.Equal(HttpStatusCode.OK, (await s.Api.Get("/api/workspace")).Status);
    }

    [Fact]
    public async Task Requests_without_a_key_or_with_a_made_up_key_are_refused_with_401()
    {
        var s = await NumberSetup.Create(system);
        using var http = new HttpClient { BaseAddress = system.WebAddress };

        foreach (var path in new[] { "/api/workspace", "/api/agents", $"/api/trunks/{s.TrunkId}/numbers", "/api/admin/workspaces/" + s.Workspace.Id })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(path)).StatusCode);
        }
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/api/trunks/{s.TrunkId}/numbers")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { phoneNumber = TestNumbers.Next(), agentId = s.AgentId }),
        };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(post)).StatusCode);

        var forged = new ApiClient(system.WebAddress, $"cck_{s.Workspace.Id}_{new string('0', 48)}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.Get("/api/workspace")).Status);
        var garbage = new ApiClient(system.WebAddress, "not-a-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await garbage.Get("/api/workspace")).Status);
        Assert.Equal(0, await s.NumberCount());
    }

    [Fact]
    public async Task Operator_endpoints_refuse_workspace_keys_and_workspace_endpoints_refuse_the_operator_key()
    {
        var s = await NumberSetup.Create(system);

        Assert.Equal(HttpStatusCode.Forbidden, (await s.Api.Post("/api/admin/workspaces", new { name = "Sneaky", plan = "Enterprise" })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await s.Api.Get($"/api/admin/workspaces/{s.Workspace.Id}")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await s.Api.Put($"/api/admin/workspaces/{s.Workspace.Id}/plan", new { plan = "Enterprise" })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await s.Api.Post($"/api/admin/workspaces/{s.Workspace.Id}/api-keys")).Status);

        var operatorApi = new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorApi.Get("/api/workspace")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await (s.Workspace with { Api = operatorApi }).AddNumber(s.TrunkId, TestNumbers.Next(), s.AgentId)).Status);

        var workspace = await s.Api.Get("/api/workspace");
        Assert.Equal("Free", workspace.Body!["plan"]!.GetValue<string>());
    }
}
