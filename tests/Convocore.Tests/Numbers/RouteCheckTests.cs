using System.Net;
using System.Text.Json.Nodes;
using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Routing;
using CallOutcome = Convocore.AriSimulator.CallOutcome;

namespace Convocore.Tests.Numbers;

/// <summary>
/// GET /api/route-check against the real system with the ARI simulator connected: what it says a call would meet, and
/// that a call placed through the simulator meets exactly that.
/// </summary>
public sealed class RouteCheckTests(RoutingSystem system) : IClassFixture<RoutingSystem>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static Task<ApiResponse> Check(ApiClient api, string dialed, string? trunkId = null) =>
        api.Get("/api/route-check?number=" + Uri.EscapeDataString(dialed) + (trunkId is null ? "" : "&trunkId=" + trunkId));

    private static async Task<JsonNode> CheckOk(ApiClient api, string dialed, string? trunkId = null)
    {
        var response = await Check(api, dialed, trunkId);
        Assert.True(response.Status == HttpStatusCode.OK, $"route check of {dialed}: {response}");
        return response.Body!;
    }

    private static string[] Codes(JsonNode check) => check["problems"]!.AsArray().Select(p => p!["code"]!.GetValue<string>()).ToArray();

    private static string? Text(JsonNode? node) => node?.GetValue<string>();

    /// <summary>A call through the simulator, with the dialplan's arguments: the DID and the trunk ("" for none).</summary>
    private async Task<CallOutcome> Call(string dialed, string trunkKey = "") =>
        await system.Asterisk.PlaceCall(dialed, "+442071230000", [dialed, trunkKey]).Outcome.WaitAsync(Patience);

    /// <summary>The route check and a real call agree: continued when routed, else hung up with the same cause.</summary>
    private async Task AssertACallAgrees(JsonNode check, string dialed, string trunkKey = "")
    {
        var call = await Call(dialed, trunkKey);
        if (Text(check["outcome"]) == "routed")
        {
            Assert.Equal(CallOutcomeKind.Continued, call.Kind);
            Assert.Null(check["hangupCause"]);
            Assert.Equal(Text(check["agent"]!["id"]), call.Extension);
        }
        else
        {
            Assert.Equal("rejected", Text(check["outcome"]));
            Assert.Equal(CallOutcomeKind.HungUp, call.Kind);
            Assert.Equal(Text(check["hangupCause"]), call.HangupReason);
        }
    }

    [Fact]
    public async Task A_configured_number_is_routed_to_its_agent_through_the_connected_server_and_a_call_is()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        var check = await CheckOk(setup.Api, number);

        Assert.Equal(number, Text(check["dialed"]));
        Assert.Equal(number, Text(check["phoneNumber"]));
        Assert.True(check["configured"]!.GetValue<bool>());
        Assert.Equal(setup.TrunkId, Text(check["trunk"]!["id"]));
        Assert.Equal("Twilio", Text(check["trunk"]!["name"]));
        Assert.True(check["trunk"]!["active"]!.GetValue<bool>());
        Assert.Equal(setup.AgentId, Text(check["agent"]!["id"]));
        Assert.Equal("Receptionist", Text(check["agent"]!["title"]));
        Assert.True(check["agent"]!["canTakeCalls"]!.GetValue<bool>());
        Assert.Null(check["agent"]!["reason"]);
        Assert.Equal("NA", Text(check["region"]));
        Assert.Equal("sim-na", Text(check["asteriskServer"]!["name"]));
        Assert.Equal("Connected", Text(check["asteriskServer"]!["state"]));
        Assert.Equal("routed", Text(check["outcome"]));
        Assert.Null(check["hangupCause"]);
        Assert.Empty(Codes(check));
        await AssertACallAgrees(check, number);

        // As dialled without the plus, and named with its own trunk: the same route.
        var withTrunk = await CheckOk(setup.Api, number[1..], setup.TrunkId);
        Assert.Equal(number, Text(withTrunk["phoneNumber"]));
        Assert.Equal("routed", Text(withTrunk["outcome"]));
        await AssertACallAgrees(withTrunk, number[1..], $"{setup.Workspace.Id}/{setup.TrunkId}");
    }

    [Fact]
    public async Task A_number_that_is_not_E164_is_rejected_as_unallocated_unless_the_trunk_default_country_makes_it_one()
    {
        var setup = await NumberSetup.Create(system);
        var national = "0207946" + Random.Shared.Next(0, 10_000).ToString("D4");

        foreach (var (dialed, trunk) in new[] { (national, (string?)null), (national, setup.TrunkId), ("12-34", null) })
        {
            var check = await CheckOk(setup.Api, dialed, trunk);
            Assert.Null(check["phoneNumber"]);
            Assert.False(check["configured"]!.GetValue<bool>());
            Assert.Equal("rejected", Text(check["outcome"]));
            Assert.Equal("unallocated", Text(check["hangupCause"]));
            Assert.Equal(["not_e164"], Codes(check));
            await AssertACallAgrees(check, dialed, trunk is null ? "" : $"{setup.Workspace.Id}/{trunk}");
        }

        var uk = (await setup.Api.Post("/api/trunks", new { name = "BT", region = "EU", defaultCountry = "GB" })).Body!["id"]!.GetValue<string>();
        var number = "+44" + national[1..];
        Assert.Equal(HttpStatusCode.Created, (await setup.Workspace.AddNumber(uk, number, setup.AgentId)).Status);
        var read = await CheckOk(setup.Api, national, uk);
        Assert.Equal(number, Text(read["phoneNumber"]));
        Assert.True(read["configured"]!.GetValue<bool>());
        Assert.Equal("routed", Text(read["outcome"]));
        // No Asterisk server serves EU in this system: said, though the routing decision stands.
        Assert.Equal("EU", Text(read["region"]));
        Assert.Null(read["asteriskServer"]);
        Assert.Equal(["no_asterisk"], Codes(read));
    }

    [Fact]
    public async Task An_unknown_number_is_not_configured_and_rejected_as_unallocated()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();

        var check = await CheckOk(setup.Api, number);

        Assert.Equal(number, Text(check["phoneNumber"]));
        Assert.False(check["configured"]!.GetValue<bool>());
        Assert.Null(check["trunk"]);
        Assert.Null(check["agent"]);
        Assert.Null(check["region"]);
        Assert.Null(check["asteriskServer"]);
        Assert.Equal("unallocated", Text(check["hangupCause"]));
        Assert.Equal(["not_configured"], Codes(check));
        await AssertACallAgrees(check, number);
    }

    [Fact]
    public async Task Another_workspace_number_reads_exactly_as_a_number_nobody_owns()
    {
        var owner = await NumberSetup.Create(system);
        var theirs = TestNumbers.Next();
        await owner.AddOk(theirs);
        var stranger = await NumberSetup.Create(system);
        var nobodys = TestNumbers.Next();

        foreach (var trunk in new[] { null, stranger.TrunkId })
        {
            var other = await CheckOk(stranger.Api, theirs, trunk);
            var unknown = await CheckOk(stranger.Api, nobodys, trunk);

            Assert.Equal(Masked(unknown, nobodys), Masked(other, theirs));
            Assert.False(other["configured"]!.GetValue<bool>());
            Assert.Null(other["trunk"]);
            Assert.Null(other["agent"]);
            Assert.Equal(["not_configured"], Codes(other));
        }
        // The owner's trunk cannot be named by anyone else.
        (await Check(stranger.Api, theirs, owner.TrunkId)).AssertProblem(HttpStatusCode.NotFound, "Trunk not found");
        Assert.Equal("routed", Text((await CheckOk(owner.Api, theirs))["outcome"]));

        static string Masked(JsonNode check, string number) => check.ToJsonString().Replace(number[1..], "NUMBER");
    }

    [Fact]
    public async Task An_agent_that_is_not_voice_enabled_or_has_an_invalid_voice_is_named_and_the_call_hung_up_as_normal_unspecified()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Patch($"/api/agents/{setup.AgentId}", new { voiceEnabled = false })).Status);
        var off = await CheckOk(setup.Api, number);
        Assert.True(off["configured"]!.GetValue<bool>());
        Assert.False(off["agent"]!["canTakeCalls"]!.GetValue<bool>());
        Assert.Equal("Agent is not voice-enabled", Text(off["agent"]!["reason"]));
        Assert.Equal("rejected", Text(off["outcome"]));
        Assert.Equal("normal_unspecified", Text(off["hangupCause"]));
        Assert.Equal(["agent_not_voice_enabled"], Codes(off));
        Assert.Equal("Agent is not voice-enabled", Text(off["problems"]![0]!["message"]));
        await AssertACallAgrees(off, number);

        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Patch($"/api/agents/{setup.AgentId}",
            new { voiceEnabled = true, voice = new { language = "English" } })).Status);
        var invalid = await CheckOk(setup.Api, number);
        Assert.Equal(["agent_voice_invalid"], Codes(invalid));
        Assert.StartsWith("Agent voice configuration is invalid: language", Text(invalid["agent"]!["reason"]));
        Assert.Equal("normal_unspecified", Text(invalid["hangupCause"]));
        await AssertACallAgrees(invalid, number);
    }

    [Fact]
    public async Task A_turned_off_trunk_is_named_and_the_call_rejected()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Patch($"/api/trunks/{setup.TrunkId}", new { active = false })).Status);

        var check = await CheckOk(setup.Api, number);

        Assert.False(check["trunk"]!["active"]!.GetValue<bool>());
        Assert.Equal("rejected", Text(check["outcome"]));
        Assert.Equal("rejected", Text(check["hangupCause"]));
        Assert.Equal(["trunk_inactive"], Codes(check));
        await AssertACallAgrees(check, number);
    }

    [Fact]
    public async Task A_number_checked_on_another_trunk_of_the_workspace_is_a_trunk_mismatch_hung_up_as_unallocated()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var other = await setup.Workspace.CreateTrunk("Other provider");

        var check = await CheckOk(setup.Api, number, other);

        Assert.True(check["configured"]!.GetValue<bool>());
        Assert.Equal(setup.TrunkId, Text(check["trunk"]!["id"]));
        Assert.Equal("rejected", Text(check["outcome"]));
        Assert.Equal("unallocated", Text(check["hangupCause"]));
        Assert.Equal(["trunk_mismatch"], Codes(check));
        Assert.Contains("Other provider", Text(check["problems"]![0]!["message"]));
        await AssertACallAgrees(check, number, $"{setup.Workspace.Id}/{other}");
    }

    [Fact]
    public async Task A_missing_number_or_a_trunk_that_is_not_the_callers_is_refused()
    {
        var setup = await NumberSetup.Create(system);

        foreach (var path in new[] { "/api/route-check", "/api/route-check?number=", "/api/route-check?number=%20%20" })
            (await setup.Api.Get(path)).AssertProblem(HttpStatusCode.BadRequest,
                "number is required: the number as a caller's provider would send it, e.g. +15551234567 or 5551234567");
        (await Check(setup.Api, TestNumbers.Next(), "nosuchtrunk0")).AssertProblem(HttpStatusCode.NotFound, "Trunk not found");
        (await Check(setup.Api, TestNumbers.Next(), "Not-An-Id")).AssertProblem(HttpStatusCode.BadRequest,
            "trunkId must be an id this API gave out: lowercase letters and digits");
        Assert.Equal(HttpStatusCode.Unauthorized, (await new ApiClient(system.WebAddress, "").Get("/api/route-check?number=%2B15551234567")).Status);
    }
}
