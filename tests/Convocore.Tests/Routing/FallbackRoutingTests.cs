using System.Net;
using Convocore.AriSimulator;
using CallRecordOutcome = Convocore.Contracts.Routing.CallOutcome;
using CallOutcome = Convocore.AriSimulator.CallOutcome;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Routing;

/// <summary>
/// A number's fallback over the ARI simulator: when the number's agent cannot take the call, it continues to the fallback
/// agent in convocore-agent, or to convocore-fallback with CONVOCORE_FALLBACK; the record, the route check and analytics say so.
/// </summary>
public sealed class FallbackRoutingTests(RoutingSystem system) : IClassFixture<RoutingSystem>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static async Task<(NumberSetup Setup, string Number)> NumberWhoseAgentIsOff(RoutingSystem system, Func<NumberSetup, Task<object>> fallback)
    {
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        var added = await setup.Api.Post($"/api/trunks/{setup.TrunkId}/numbers",
            new { phoneNumber = number, agentId = setup.AgentId, additionalParams = new { lang = "en" }, fallback = await fallback(setup) });
        Assert.True(added.Status == HttpStatusCode.Created, added.ToString());
        var off = await setup.Api.Patch($"/api/agents/{setup.AgentId}", new { voiceEnabled = false });
        Assert.Equal(HttpStatusCode.OK, off.Status);
        return (setup, number);
    }

    /// <summary>A call, hung up by the caller once handed over, so that its record (written at its end) is there.</summary>
    private async Task<(CallOutcome Outcome, string ChannelId)> Call(string number)
    {
        var call = system.Asterisk.PlaceCall(number, "+442071230000");
        var outcome = await call.Outcome.WaitAsync(Patience);
        if (outcome.Kind == CallOutcomeKind.Continued) system.Asterisk.EndCall(call.ChannelId);
        return (outcome, call.ChannelId);
    }

    [Fact]
    public async Task An_agent_fallback_continues_to_that_agent_with_its_variables_and_is_recorded_as_fallback_with_the_reason()
    {
        string backup = "";
        var (setup, number) = await NumberWhoseAgentIsOff(system, async s =>
        {
            backup = await s.Workspace.CreateAgent("Backup");
            return new { type = "agent", agentId = backup };
        });

        var (outcome, channelId) = await Call(number);

        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal("convocore-agent", outcome.Context);
        Assert.Equal(backup, outcome.Extension);
        Assert.Equal(backup, outcome.Variables["CONVOCORE_AGENT_ID"]);
        Assert.Equal(setup.Workspace.Id, outcome.Variables["CONVOCORE_WORKSPACE_ID"]);
        Assert.Equal(setup.TrunkId, outcome.Variables["CONVOCORE_TRUNK_ID"]);
        Assert.Equal(number, outcome.Variables["CONVOCORE_NUMBER"]);
        Assert.Equal("""{"lang":"en"}""", outcome.Variables["CONVOCORE_PARAMS"]);
        Assert.Equal("agent:" + backup, outcome.Variables["CONVOCORE_FALLBACK"]);
        Assert.Equal("convocore-call-ended,s,1", outcome.Variables["CHANNEL(hangup_handler_push)"]);
        var record = await system.RecordedCall(channelId);
        Assert.Equal(CallRecordOutcome.Fallback, record.Outcome);
        Assert.Equal("agent_not_voice_enabled", record.FailureReason);
        Assert.Equal("agent:" + backup, record.Fallback);
        Assert.Equal(setup.AgentId, record.AgentId);
    }

    [Fact]
    public async Task A_fallback_agent_that_cannot_take_calls_either_leaves_the_call_refused_as_without_a_fallback()
    {
        var (setup, number) = await NumberWhoseAgentIsOff(system, async s =>
            new { type = "agent", agentId = await s.Workspace.CreateAgent("Also off", voiceEnabled: false) });

        var (outcome, channelId) = await Call(number);

        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        Assert.Equal("normal_unspecified", outcome.HangupReason);
        Assert.Equal("agent_unavailable", (await system.RecordedCall(channelId)).FailureReason);
    }

    [Fact]
    public async Task A_number_fallback_continues_to_the_fallback_context_with_the_number_to_dial()
    {
        var (setup, number) = await NumberWhoseAgentIsOff(system, _ => Task.FromResult<object>(new { type = "number", phoneNumber = "+15550009999" }));

        var (outcome, channelId) = await Call(number);

        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal("convocore-fallback", outcome.Context);
        Assert.Equal("number", outcome.Extension);
        Assert.Equal(1, outcome.Priority);
        Assert.Equal("+15550009999", outcome.Variables["CONVOCORE_FALLBACK"]);
        Assert.Equal(setup.AgentId, outcome.Variables["CONVOCORE_AGENT_ID"]);
        Assert.Equal(number, outcome.Variables["CONVOCORE_NUMBER"]);
        Assert.Equal("convocore-call-ended,s,1", outcome.Variables["CHANNEL(hangup_handler_push)"]);
        var record = await system.RecordedCall(channelId);
        Assert.Equal(CallRecordOutcome.Fallback, record.Outcome);
        Assert.Equal("number:+15550009999", record.Fallback);
    }

    [Fact]
    public async Task A_SIP_fallback_continues_to_the_fallback_context_with_the_URI_and_the_route_check_says_fallback()
    {
        var (setup, number) = await NumberWhoseAgentIsOff(system, _ => Task.FromResult<object>(new { type = "sip", uri = "sip:frontdesk@127.0.0.1:5070" }));

        var check = await setup.Api.Get("/api/route-check?number=" + Uri.EscapeDataString(number));
        Assert.True(check.Status == HttpStatusCode.OK, check.ToString());
        Assert.Equal("fallback", check.Body!["outcome"]!.GetValue<string>());
        Assert.Null(check.Body!["hangupCause"]);
        Assert.True(check.Body!["fallback"]!["used"]!.GetValue<bool>());
        Assert.Equal("agent_not_voice_enabled", check.Body!["fallback"]!["reason"]!.GetValue<string>());
        Assert.Equal("sip:frontdesk@127.0.0.1:5070", check.Body!["fallback"]!["destination"]!["uri"]!.GetValue<string>());

        var (outcome, channelId) = await Call(number);

        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal("convocore-fallback", outcome.Context);
        Assert.Equal("sip", outcome.Extension);
        Assert.Equal("sip:frontdesk@127.0.0.1:5070", outcome.Variables["CONVOCORE_FALLBACK"]);
        Assert.Equal(CallRecordOutcome.Fallback, (await system.RecordedCall(channelId)).Outcome);

        // Once the agent can take calls again, calls reach it, and the check says routed.
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Patch($"/api/agents/{setup.AgentId}", new { voiceEnabled = true })).Status);
        var (again, _) = await Call(number);
        Assert.Equal("convocore-agent", again.Context);
        Assert.Equal(setup.AgentId, again.Extension);
        Assert.False(again.Variables.ContainsKey("CONVOCORE_FALLBACK"));
        var routed = await setup.Api.Get("/api/route-check?number=" + Uri.EscapeDataString(number));
        Assert.Equal("routed", routed.Body!["outcome"]!.GetValue<string>());
        Assert.False(routed.Body!["fallback"]!["used"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Fallback_calls_are_counted_by_reason_in_the_figures_and_listed_as_fallback_in_the_call_log()
    {
        var (setup, number) = await NumberWhoseAgentIsOff(system, _ => Task.FromResult<object>(new { type = "number", phoneNumber = "+15550008888" }));
        for (var i = 0; i < 2; i++) Assert.Equal(CallOutcomeKind.Continued, (await Call(number)).Outcome.Kind);

        await Eventually.True(async () =>
        {
            var figures = await setup.Api.Get($"/api/numbers/{TestNumbers.Escaped(number)}/analytics");
            return figures.Status == HttpStatusCode.OK && figures.Body!["fallbackCalls"]!.GetValue<int>() == 2;
        }, "two fallback calls in the number's figures");
        var stats = (await setup.Api.Get($"/api/numbers/{TestNumbers.Escaped(number)}/analytics")).Body!;
        Assert.Equal(2, stats["totalCalls"]!.GetValue<int>());
        Assert.Equal(0, stats["successfulCalls"]!.GetValue<int>());
        Assert.Equal(0, stats["failedCalls"]!.GetValue<int>());
        Assert.Equal(2, stats["fallbackReasons"]!["agent_not_voice_enabled"]!.GetValue<int>());
        var workspace = (await setup.Api.Get("/api/analytics")).Body!;
        Assert.Equal(2, workspace["fallbackCalls"]!.GetValue<int>());
        var volume = workspace["byNumber"]!.AsArray().Single(n => n!["phoneNumber"]!.GetValue<string>() == number)!;
        Assert.Equal(2, volume["totalCalls"]!.GetValue<int>());
        Assert.Equal(0, volume["failedCalls"]!.GetValue<int>());

        var log = (await setup.Api.Get($"/api/calls?phoneNumber={TestNumbers.Escaped(number)}&outcome=fallback")).Body!["items"]!.AsArray();
        Assert.Equal(2, log.Count);
        Assert.All(log, c =>
        {
            Assert.Equal("fallback", c!["outcome"]!.GetValue<string>());
            Assert.Equal("agent_not_voice_enabled", c["reason"]!.GetValue<string>());
            Assert.Equal("number:+15550008888", c["fallback"]!.GetValue<string>());
        });
        Assert.Empty((await setup.Api.Get($"/api/calls?phoneNumber={TestNumbers.Escaped(number)}&outcome=failed")).Body!["items"]!.AsArray());
    }
}
