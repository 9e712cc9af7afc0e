using System.Net;
using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using CallRecordOutcome = Convocore.Contracts.Routing.CallOutcome;
using CallOutcome = Convocore.AriSimulator.CallOutcome;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Routing;

/// <summary>Calls from the ARI simulator through the silos' Stasis app, end to end.</summary>
public sealed class RoutingTests(RoutingSystem system) : IClassFixture<RoutingSystem>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private async Task<CallOutcome> Call(string dialed) =>
        await system.Asterisk.PlaceCall(dialed, "+442071230000").Outcome.WaitAsync(Patience);

    [Fact]
    public async Task A_configured_number_is_continued_to_its_agent_with_the_variables_and_the_call_end_handler_set_first()
    {
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await setup.Add(number, additionalParams: new { language = "en", vip = true })).Status);

        var call = system.Asterisk.PlaceCall(number, "+442071230000");
        var outcome = await call.Outcome.WaitAsync(Patience);

        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal("convocore-agent", outcome.Context);
        Assert.Equal(setup.AgentId, outcome.Extension);
        Assert.Equal(1, outcome.Priority);
        Assert.Equal(setup.AgentId, outcome.Variables["CONVOCORE_AGENT_ID"]);
        Assert.Equal(setup.Workspace.Id, outcome.Variables["CONVOCORE_WORKSPACE_ID"]);
        Assert.Equal(setup.TrunkId, outcome.Variables["CONVOCORE_TRUNK_ID"]);
        Assert.Equal(number, outcome.Variables["CONVOCORE_NUMBER"]);
        Assert.Equal("""{"language":"en","vip":true}""", outcome.Variables["CONVOCORE_PARAMS"]);
        // The call's end comes from the hangup handler set with the variables, so no subscription is made.
        Assert.Equal("convocore-call-ended,s,1", outcome.Variables["CHANNEL(hangup_handler_push)"]);
        Assert.DoesNotContain(system.Asterisk.Commands, c => c.Path.EndsWith("/subscription"));
        var variables = call.Commands.Single(c => c.Path.EndsWith("/variables"));
        var continued = call.Commands.Single(c => c.Path.EndsWith("/continue"));
        Assert.True(variables.Timestamp < continued.Timestamp, "the variables and the hangup handler must land before continue");
    }

    [Fact]
    public async Task The_app_asks_for_only_the_events_it_handles_and_its_commands_over_the_WebSocket_still_complete()
    {
        Assert.Equal(["ApplicationReplaced", "RESTResponse", "StasisStart"],
            system.Asterisk.AllowedEvents(RoutingSystem.Application).Order(StringComparer.Ordinal));

        // The simulator, like Asterisk, filters the replies of REST over the WebSocket too: without RESTResponse allowed
        // no command would complete and the caller would be released with congestion.
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var call = system.Asterisk.PlaceCall(number, "+442071230000");
        Assert.Equal(CallOutcomeKind.Continued, (await call.Outcome.WaitAsync(Patience)).Kind);
        Assert.All(call.Commands, c => Assert.Equal(c.Path.EndsWith("/variables") ? "http" : "websocket", c.Transport));
    }

    [Fact]
    public async Task An_unknown_number_is_hung_up_as_unallocated()
    {
        var outcome = await Call(TestNumbers.Next());

        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        Assert.Equal("unallocated", outcome.HangupReason);
    }

    [Fact]
    public async Task After_a_delete_the_very_next_call_is_unallocated()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(CallOutcomeKind.Continued, (await Call(number)).Kind);

        Assert.Equal(HttpStatusCode.NoContent, (await setup.Api.Delete($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}")).Status);

        var outcome = await Call(number);
        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        Assert.Equal("unallocated", outcome.HangupReason);
    }

    [Fact]
    public async Task After_a_reassignment_the_very_next_call_reaches_the_new_agent()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(setup.AgentId, (await Call(number)).Extension);
        var newAgent = await setup.Workspace.CreateAgent("Sales");

        var reassigned = await setup.Api.Patch($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}", new { agentId = newAgent });
        Assert.Equal(HttpStatusCode.OK, reassigned.Status);

        var outcome = await Call(number);
        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal(newAgent, outcome.Extension);
        Assert.Equal(newAgent, outcome.Variables["CONVOCORE_AGENT_ID"]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    public async Task A_DID_sent_without_the_plus_is_routed_like_its_E164_form(string prefix)
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        var outcome = await Call(prefix + number[1..]);

        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal(number, outcome.Variables["CONVOCORE_NUMBER"]);
    }

    [Fact]
    public async Task A_call_that_the_dialplan_says_came_in_on_another_trunk_is_refused_as_unallocated_and_recorded_as_a_mismatch()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var otherTrunk = (await setup.Api.Post("/api/trunks", new { name = "Other provider", region = "NA" })).Body!["id"]!.GetValue<string>();
        var stranger = await NumberSetup.Create(system);

        foreach (var wrong in new[] { $"{setup.Workspace.Id}/{otherTrunk}", $"{stranger.Workspace.Id}/{stranger.TrunkId}", "not-a-trunk" })
        {
            var call = system.Asterisk.PlaceCall(number, "+442071230000", [number, wrong]);
            var refused = await call.Outcome.WaitAsync(Patience);
            Assert.Equal(CallOutcomeKind.HungUp, refused.Kind);
            Assert.Equal(1, refused.Cause); // unallocated: the caller hears what an unknown number gives
            var recorded = await system.RecordedCall(call.ChannelId);
            Assert.Equal("trunk_mismatch", recorded.FailureReason);
        }

        var own = await system.Asterisk.PlaceCall(number, "+442071230000", [number, $"{setup.Workspace.Id}/{setup.TrunkId}"]).Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, own.Kind);
        var unnamed = await system.Asterisk.PlaceCall(number, "+442071230000", [number, ""]).Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, unnamed.Kind);
    }

    [Fact]
    public async Task A_national_DID_is_routed_with_the_default_country_of_the_trunk_the_dialplan_names()
    {
        var setup = await NumberSetup.Create(system);
        var created = await setup.Api.Post("/api/trunks", new { name = "BT", region = "EU", defaultCountry = "GB" });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var ukTrunk = created.Body!["id"]!.GetValue<string>();
        var national = "0207946" + Random.Shared.Next(0, 10_000).ToString("D4");
        var number = "+44" + national[1..];
        Assert.Equal(HttpStatusCode.Created, (await setup.Workspace.AddNumber(ukTrunk, number, setup.AgentId)).Status);

        var withTrunk = await system.Asterisk.PlaceCall(national, "+442071230000", [national, $"{setup.Workspace.Id}/{ukTrunk}"]).Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, withTrunk.Kind);
        Assert.Equal(number, withTrunk.Variables["CONVOCORE_NUMBER"]);
        Assert.Equal(ukTrunk, withTrunk.Variables["CONVOCORE_TRUNK_ID"]);

        var withoutTrunk = await system.Asterisk.PlaceCall(national, "+442071230000", [national, ""]).Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.HungUp, withoutTrunk.Kind);
        Assert.Equal("unallocated", withoutTrunk.HangupReason);

        var trunkOfNoCountry = await system.Asterisk.PlaceCall(national, "+442071230000", [national, $"{setup.Workspace.Id}/{setup.TrunkId}"]).Outcome.WaitAsync(Patience);
        Assert.Equal("unallocated", trunkOfNoCountry.HangupReason);
    }

    [Fact]
    public async Task A_number_whose_agent_stopped_being_voice_enabled_is_refused_and_the_trunk_switch_refuses_too()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        var agentOff = await setup.Api.Put($"/api/agents/{setup.AgentId}", new { title = "Receptionist", voiceEnabled = false, voice = (object?)null });
        Assert.Equal(HttpStatusCode.OK, agentOff.Status);
        var refusedForAgent = await Call(number);
        Assert.Equal(CallOutcomeKind.HungUp, refusedForAgent.Kind);
        Assert.Equal("normal_unspecified", refusedForAgent.HangupReason);

        await setup.Api.Put($"/api/agents/{setup.AgentId}", new
        {
            title = "Receptionist", voiceEnabled = true,
            voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" },
        });
        var trunkOff = await setup.Api.Put($"/api/trunks/{setup.TrunkId}", new { name = "Twilio", region = "NA", active = false, defaultCountry = (string?)null });
        Assert.Equal(HttpStatusCode.OK, trunkOff.Status);
        var refusedForTrunk = await Call(number);
        Assert.Equal(CallOutcomeKind.HungUp, refusedForTrunk.Kind);
        Assert.Equal("rejected", refusedForTrunk.HangupReason);
    }

    [Fact]
    public async Task Two_silos_hold_exactly_one_connection_to_the_server()
    {
        Assert.Equal(2, system.Cluster.Silos.Count);
        await Task.Delay(TimeSpan.FromSeconds(2)); // a second connection, were there one, would have been made by now
        Assert.Equal(1, system.Asterisk.GetEventConnectionCount(RoutingSystem.Application));
    }

    [Fact]
    public async Task Web_health_shows_each_Asterisk_server_connection_and_the_routes_it_uses()
    {
        var health = await system.OperatorHealthAsync();
        var asterisk = health["checks"]!["asterisk"]!;

        Assert.Equal("Healthy", asterisk["status"]!.GetValue<string>());
        var server = asterisk["data"]!["sim-na"]!.GetValue<string>();
        Assert.StartsWith("Connected", server);
        Assert.Contains("WebSocket commands, Bulk variables over Http, Asterisk 23.4.1", server);
    }

    [Fact]
    public async Task Every_call_is_recorded_and_a_routed_call_ends_when_Asterisk_destroys_the_channel()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        var routed = system.Asterisk.PlaceCall(number, "+442071230000");
        Assert.Equal(CallOutcomeKind.Continued, (await routed.Outcome.WaitAsync(Patience)).Kind);
        await Task.Delay(TimeSpan.FromMilliseconds(1500)); // the conversation with the agent
        system.Asterisk.EndCall(routed.ChannelId);
        var unknown = system.Asterisk.PlaceCall(TestNumbers.Next(), "+15550009999");
        await unknown.Outcome.WaitAsync(Patience);

        var recorded = await system.RecordedCall(routed.ChannelId);
        Assert.Equal(CallRecordOutcome.Routed, recorded.Outcome);
        Assert.Null(recorded.FailureReason);
        Assert.Equal(number, recorded.PhoneNumber);
        Assert.Equal("+442071230000", recorded.CallerNumber);
        Assert.Equal(setup.Workspace.Id, recorded.WorkspaceId);
        Assert.Equal(setup.TrunkId, recorded.TrunkId);
        Assert.Equal(setup.AgentId, recorded.AgentId);
        Assert.Equal("NA", recorded.Region);
        Assert.Equal("sim-na", recorded.Server);
        Assert.NotNull(recorded.EndedAt);
        // At least the 1.5 s the call lasted, less the millisecond truncation of Asterisk's event timestamps.
        Assert.InRange(recorded.DurationSeconds!.Value, 1.49, 60);
        Assert.Equal("Normal Clearing", recorded.EndCause);

        var failed = await system.RecordedCall(unknown.ChannelId);
        Assert.Equal(CallRecordOutcome.Failed, failed.Outcome);
        Assert.Equal("unallocated", failed.FailureReason);
        Assert.Null(failed.WorkspaceId);
    }
}
