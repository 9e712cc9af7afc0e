using System.Net;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Convocore.Web.Analytics;
using Convocore.Web.Api;
using Convocore.Web.Numbers;

namespace Convocore.Tests.Api;

/// <summary>A query or route value that cannot be what it names gets a 400 problem saying which and what is expected, and changes nothing.</summary>
[Collection(SystemCollection.Name)]
public sealed class MalformedValueTests(ConvocoreSystem system)
{
    public static TheoryData<string, string> Reads() => new()
    {
        { "/api/calls?limit=abc", RequestValues.NotAPageSize(AnalyticsEndpoints.MaxPageSize) },
        { "/api/calls?limit=1.5", RequestValues.NotAPageSize(AnalyticsEndpoints.MaxPageSize) },
        { "/api/calls?limit=99999999999999999999", RequestValues.NotAPageSize(AnalyticsEndpoints.MaxPageSize) },
        { "/api/calls?from=garbage", AnalyticsEndpoints.InvalidFrom },
        { "/api/analytics?to=2026-13-45", AnalyticsEndpoints.InvalidTo },
        { "/api/numbers/12345/analytics", E164.InvalidFormat },
        { "/api/trunks/{trunk}/numbers?limit=abc", RequestValues.NotAPageSize(NumberEndpoints.MaxPageSize) },
        { "/api/trunks/{trunk}/numbers?cursor=zzz", NumberEndpoints.InvalidCursor },
        { "/api/trunks/{trunk}/numbers/12345", E164.InvalidFormat },
        { "/api/trunks/Not-An-Id", RequestValues.NotAnId("trunkId") },
        { "/api/trunks/Not-An-Id/numbers", RequestValues.NotAnId("trunkId") },
        { "/api/agents/Not-An-Id", RequestValues.NotAnId("agentId") },
        { "/api/agents/" + new string('a', 65), RequestValues.NotAnId("agentId") },
    };

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task A_malformed_value_in_a_read_answers_a_problem_naming_it(string path, string detail)
    {
        var s = await NumberSetup.Create(system);

        var response = await s.Api.Get(path.Replace("{trunk}", s.TrunkId));

        response.AssertProblem(HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task A_write_to_a_malformed_route_value_answers_a_problem_and_stores_nothing()
    {
        var s = await NumberSetup.Create(system);
        var voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" };
        var before = (await s.Api.Get("/api/agents")).ToString();

        (await s.Api.Put("/api/agents/Not-An-Id", new { title = "New", voiceEnabled = true, voice })).AssertProblem(HttpStatusCode.BadRequest, RequestValues.NotAnId("agentId"));
        (await s.Api.Delete("/api/trunks/Not-An-Id")).AssertProblem(HttpStatusCode.BadRequest, RequestValues.NotAnId("trunkId"));
        (await s.Api.Put($"/api/trunks/{s.TrunkId}/numbers/12345", new { agentId = s.AgentId, additionalParams = (object?)null }))
            .AssertProblem(HttpStatusCode.BadRequest, E164.InvalidFormat);
        var national = await s.Api.Delete($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped("+4402079460987")}");
        national.AssertProblem(HttpStatusCode.BadRequest, E164.InvalidFormat);
        Assert.Equal("did you mean +442079460987?", national.Body!["hint"]?.GetValue<string>());

        Assert.Equal(before, (await s.Api.Get("/api/agents")).ToString());
        Assert.Equal(0, await s.NumberCount());
        Assert.Null(await system.Client.GetGrain<IPhoneNumberGrain>("12345").GetAssignment());
    }

    [Fact]
    public async Task An_operator_request_with_a_malformed_route_value_answers_a_problem_naming_it()
    {
        var op = new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey);
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress);

        (await op.Get("/api/admin/workspaces/Not-An-Id")).AssertProblem(HttpStatusCode.BadRequest, RequestValues.NotAnId("id"));
        (await op.Put("/api/admin/workspaces/Not-An-Id/plan", new { plan = "Pro" })).AssertProblem(HttpStatusCode.BadRequest, RequestValues.NotAnId("id"));
        (await op.Delete($"/api/admin/workspaces/{workspace.Id}/api-keys/Not-An-Id")).AssertProblem(HttpStatusCode.BadRequest, RequestValues.NotAnId("keyId"));
        Assert.Equal(HttpStatusCode.OK, (await workspace.Api.Get("/api/workspace")).Status);
    }
}
