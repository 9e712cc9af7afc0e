using System.Net;
using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Convocore.Tests.Webhooks;
using CallOutcome = Convocore.AriSimulator.CallOutcome;
using CallRecordOutcome = Convocore.Contracts.Routing.CallOutcome;

namespace Convocore.Tests.RoutingHook;

/// <summary>
/// The routing hook over the ARI simulator, with the hook on a real Kestrel server: what it answers decides the agent and
/// the variables, a reject hangs up, and a timeout, an error or an answer that cannot be used leaves the call to the static
/// agent, else the number's fallback with the hook's reason.
/// </summary>
[Collection(WebhookCollection.Name)]
public sealed class RoutingHookCallTests(WebhookSystem system) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private HookServer hook = null!;

    public async Task InitializeAsync() => hook = await HookServer.StartAsync();

    public async Task DisposeAsync() => await hook.DisposeAsync();

    private sealed record Hooked(NumberSetup Setup, string Number, string Secret);

    private async Task<Hooked> HookedNumber(int timeoutMs = 1500, object? fallback = null, bool routingHook = true)
    {
        var setup = await NumberSetup.Create(system, "Pro");
        var set = await setup.Api.Put("/api/workspace/routing-hook", new { url = hook.Url, timeoutMs });
        Assert.True(set.Status == HttpStatusCode.OK, set.ToString());
        var number = TestNumbers.Next();
        var added = await setup.Api.Post($"/api/trunks/{setup.TrunkId}/numbers",
            new { phoneNumber = number, agentId = setup.AgentId, additionalParams = new { lang = "en" }, routingHook, fallback });
        Assert.True(added.Status == HttpStatusCode.Created, added.ToString());
        return new Hooked(setup, number, set.Body!["secret"]!.GetValue<string>());
    }

    private void Answer(string number, int status, string body, TimeSpan delay = default) =>
        hook.Answers[number] = async () =>
        {
            if (delay > TimeSpan.Zero) await Task.Delay(delay);
            return (status, body);
        };

    private async Task<(CallOutcome Outcome, string ChannelId)> Call(string number)
    {
        var call = system.Asterisk.PlaceCall(number, "+442071230000");
        var outcome = await call.Outcome.WaitAsync(Patience);
        if (outcome.Kind == CallOutcomeKind.Continued) system.Asterisk.EndCall(call.ChannelId);
        return (outcome, call.ChannelId);
    }

    [Fact]
    public async Task The_hook_routes_to_the_agent_it_names_with_its_variables_signed_with_the_secret_and_the_call_fields()
    {
        var h = await HookedNumber();
        var chosen = await h.Setup.Workspace.CreateAgent("Chosen");
        Answer(h.Number, 200, $$$"""{"agentId":"{{{chosen}}}","variables":{"CUSTOMER_TIER":"gold","LANG_2":"de"}}""");

        var (outcome, channelId) = await Call(h.Number);

        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal("convocore-agent", outcome.Context);
        Assert.Equal(chosen, outcome.Extension);
        Assert.Equal(chosen, outcome.Variables["CONVOCORE_AGENT_ID"]);
        Assert.Equal(h.Setup.Workspace.Id, outcome.Variables["CONVOCORE_WORKSPACE_ID"]);
        Assert.Equal(h.Number, outcome.Variables["CONVOCORE_NUMBER"]);
        Assert.Equal("""{"lang":"en"}""", outcome.Variables["CONVOCORE_PARAMS"]);
        Assert.Equal("gold", outcome.Variables["CUSTOMER_TIER"]);
        Assert.Equal("de", outcome.Variables["LANG_2"]);
        Assert.Equal("convocore-call-ended,s,1", outcome.Variables["CHANNEL(hangup_handler_push)"]);
        var record = await system.RecordedCall(channelId);
        Assert.Equal((CallRecordOutcome.Routed, chosen, "answered"), (record.Outcome, record.AgentId, record.Hook));

        var request = Assert.Single(hook.For(h.Number));
        Assert.True(WebhookReceiver.Verify(h.Secret, request.Signature, request.RawBody), request.Signature);
        Assert.False(string.IsNullOrEmpty(request.EventId));
        var body = request.Body;
        Assert.Equal(channelId, body["callId"]!.GetValue<string>());
        Assert.Equal(h.Number, body["phoneNumber"]!.GetValue<string>());
        Assert.Equal("+442071230000", body["caller"]!.GetValue<string>());
        Assert.Equal(h.Setup.TrunkId, body["trunkId"]!.GetValue<string>());
        Assert.Equal("NA", body["region"]!.GetValue<string>());
        Assert.Equal(h.Setup.AgentId, body["agentId"]!.GetValue<string>());
        Assert.Equal("en", body["additionalParams"]!["lang"]!.GetValue<string>());
    }

    [Fact]
    public async Task No_agentId_keeps_the_static_agent_with_the_variables()
    {
        var h = await HookedNumber();
        Answer(h.Number, 200, """{"agentId":null,"variables":{"VIP":"1"}}""");

        var (outcome, channelId) = await Call(h.Number);

        Assert.Equal(h.Setup.AgentId, outcome.Extension);
        Assert.Equal("1", outcome.Variables["VIP"]);
        Assert.Equal("answered", (await system.RecordedCall(channelId)).Hook);
        // The call log says what the hook did.
        string? logged = null;
        await Eventually.True(async () =>
        {
            var log = (await h.Setup.Api.Get($"/api/calls?phoneNumber={TestNumbers.Escaped(h.Number)}")).Body?["items"]?.AsArray();
            logged = log?.FirstOrDefault(c => c!["channelId"]!.GetValue<string>() == channelId)?["hook"]?.GetValue<string>();
            return logged is not null;
        }, "the call in the call log with its hook outcome");
        Assert.Equal("answered", logged);
    }

    [Theory]
    [InlineData("busy", "busy", "hook_rejected_busy")]
    [InlineData("rejected", "rejected", "hook_rejected")]
    public async Task A_reject_hangs_up_with_that_cause_and_is_recorded_as_failed(string reject, string hangup, string reason)
    {
        var h = await HookedNumber();
        Answer(h.Number, 200, $$"""{"reject":"{{reject}}"}""");

        var (outcome, channelId) = await Call(h.Number);

        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        Assert.Equal(hangup, outcome.HangupReason);
        var record = await system.RecordedCall(channelId);
        Assert.Equal((CallRecordOutcome.Failed, reason, "rejected"), (record.Outcome, record.FailureReason, record.Hook));
    }

    [Fact]
    public async Task An_answer_larger_than_64_KB_is_not_read_and_leaves_the_call_to_the_static_agent()
    {
        var h = await HookedNumber();
        // Valid JSON naming variables, padded past the bound: only its size makes it unusable.
        Answer(h.Number, 200, """{"variables":{"VIP":"1"}}""" + new string(' ', 70_000));

        var (outcome, channelId) = await Call(h.Number);

        Assert.Equal(h.Setup.AgentId, outcome.Extension);
        Assert.False(outcome.Variables.ContainsKey("VIP"));
        Assert.Equal("invalid", (await system.RecordedCall(channelId)).Hook);
    }

    [Theory]
    [InlineData(200, "not json", "invalid")]
    [InlineData(200, "[]", "invalid")]
    [InlineData(500, "{}", "error")]
    [InlineData(302, "{}", "error")]
    [InlineData(200, """{"agentId":"nosuchagent0000000000000"}""", "invalid")]
    [InlineData(200, """{"agentId":"Not An Id!"}""", "invalid")]
    [InlineData(200, """{"variables":{"lower_case":"x"}}""", "invalid")]
    [InlineData(200, """{"variables":{"CONVOCORE_AGENT_ID":"x"}}""", "invalid")]
    [InlineData(200, """{"variables":{"N":1}}""", "invalid")]
    [InlineData(200, """{"reject":"maybe"}""", "invalid")]
    public async Task An_answer_that_cannot_be_used_leaves_the_call_to_the_static_agent(int status, string body, string hookOutcome)
    {
        var h = await HookedNumber();
        Answer(h.Number, status, body);

        var (outcome, channelId) = await Call(h.Number);

        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal(h.Setup.AgentId, outcome.Extension);
        Assert.Equal(h.Setup.AgentId, outcome.Variables["CONVOCORE_AGENT_ID"]);
        var record = await system.RecordedCall(channelId);
        Assert.Equal((CallRecordOutcome.Routed, h.Setup.AgentId, hookOutcome), (record.Outcome, record.AgentId, record.Hook));
    }

    [Fact]
    public async Task Too_many_or_too_long_variables_are_an_unusable_answer()
    {
        var h = await HookedNumber();
        var many = string.Join(",", Enumerable.Range(0, 21).Select(i => $"\"V{i}\":\"x\""));
        Answer(h.Number, 200, "{\"variables\":{" + many + "}}");
        Assert.Equal("invalid", (await system.RecordedCall((await Call(h.Number)).ChannelId)).Hook);
        Answer(h.Number, 200, "{\"variables\":{\"LONG\":\"" + new string('x', 257) + "\"}}");
        Assert.Equal("invalid", (await system.RecordedCall((await Call(h.Number)).ChannelId)).Hook);
        var twenty = string.Join(",", Enumerable.Range(0, 20).Select(i => $"\"V{i}\":\"{new string('x', 256)}\""));
        Answer(h.Number, 200, "{\"variables\":{" + twenty + "}}");
        var (outcome, channelId) = await Call(h.Number);
        Assert.Equal(new string('x', 256), outcome.Variables["V19"]);
        Assert.Equal("answered", (await system.RecordedCall(channelId)).Hook);
    }

    [Fact]
    public async Task A_hook_slower_than_its_timeout_leaves_the_call_to_the_static_agent_within_the_timeout()
    {
        var h = await HookedNumber(timeoutMs: 200);
        var other = await h.Setup.Workspace.CreateAgent("Too late");
        Answer(h.Number, 200, $$"""{"agentId":"{{other}}"}""", delay: TimeSpan.FromSeconds(3));

        var started = DateTime.UtcNow;
        var (outcome, channelId) = await Call(h.Number);

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(2), $"took {DateTime.UtcNow - started}");
        Assert.Equal(h.Setup.AgentId, outcome.Extension);
        Assert.Equal("timeout", (await system.RecordedCall(channelId)).Hook);
    }

    [Fact]
    public async Task When_the_static_agent_cannot_take_calls_either_the_call_goes_to_the_fallback_with_the_hook_reason()
    {
        var h = await HookedNumber(fallback: new { type = "number", phoneNumber = "+15550007777" });
        Assert.Equal(HttpStatusCode.OK, (await h.Setup.Api.Patch($"/api/agents/{h.Setup.AgentId}", new { voiceEnabled = false })).Status);
        Answer(h.Number, 500, "{}");

        var (outcome, channelId) = await Call(h.Number);

        Assert.Equal("convocore-fallback", outcome.Context);
        Assert.Equal("+15550007777", outcome.Variables["CONVOCORE_FALLBACK"]);
        var record = await system.RecordedCall(channelId);
        Assert.Equal((CallRecordOutcome.Fallback, "hook_error", "error"), (record.Outcome, record.FailureReason, record.Hook));

        // A hook that names an agent which cannot take calls: the fallback, with hook_agent_unavailable.
        var off = await h.Setup.Workspace.CreateAgent("Off too", voiceEnabled: false);
        Answer(h.Number, 200, $$"""{"agentId":"{{off}}"}""");
        var (second, secondId) = await Call(h.Number);
        Assert.Equal("convocore-fallback", second.Context);
        Assert.Equal("hook_agent_unavailable", (await system.RecordedCall(secondId)).FailureReason);

        // Yet a hook that names a working agent takes the call there, though the static agent is off.
        var on = await h.Setup.Workspace.CreateAgent("On");
        Answer(h.Number, 200, $$"""{"agentId":"{{on}}"}""");
        var (third, _) = await Call(h.Number);
        Assert.Equal(("convocore-agent", on), (third.Context, third.Extension));
    }

    [Fact]
    public async Task An_agent_of_another_workspace_is_not_usable()
    {
        var h = await HookedNumber();
        var stranger = await NumberSetup.Create(system, "Pro");
        Answer(h.Number, 200, $$"""{"agentId":"{{stranger.AgentId}}"}""");

        var (outcome, channelId) = await Call(h.Number);

        Assert.Equal(h.Setup.AgentId, outcome.Extension);
        Assert.Equal("invalid", (await system.RecordedCall(channelId)).Hook);
    }

    [Fact]
    public async Task Numbers_without_routingHook_never_call_the_hook_and_a_changed_hook_reaches_the_next_call()
    {
        var h = await HookedNumber(routingHook: false);
        var (outcome, channelId) = await Call(h.Number);
        Assert.Equal(h.Setup.AgentId, outcome.Extension);
        Assert.Null((await system.RecordedCall(channelId)).Hook);
        Assert.Empty(hook.For(h.Number));

        // Turned on: the next call asks the hook. The hook removed: the next call goes to the agent without asking.
        var numberPath = $"/api/trunks/{h.Setup.TrunkId}/numbers/{TestNumbers.Escaped(h.Number)}";
        Assert.Equal(HttpStatusCode.OK, (await h.Setup.Api.Patch(numberPath, new { routingHook = true })).Status);
        Answer(h.Number, 200, """{"variables":{"ASKED":"yes"}}""");
        Assert.Equal("yes", (await Call(h.Number)).Outcome.Variables["ASKED"]);
        Assert.Single(hook.For(h.Number));
        Assert.Equal(HttpStatusCode.NoContent, (await h.Setup.Api.Delete("/api/workspace/routing-hook")).Status);
        var (after, afterId) = await Call(h.Number);
        Assert.Equal(h.Setup.AgentId, after.Extension);
        Assert.False(after.Variables.ContainsKey("ASKED"));
        Assert.Equal("none", (await system.RecordedCall(afterId)).Hook);
        Assert.Single(hook.For(h.Number));
    }

    [Fact]
    public async Task The_route_check_names_the_hook_and_does_not_call_it()
    {
        var h = await HookedNumber();
        var check = await h.Setup.Api.Get("/api/route-check?number=" + TestNumbers.Escaped(h.Number));
        Assert.Equal(HttpStatusCode.OK, check.Status);
        Assert.Equal(hook.Url, check.Body!["routingHook"]!["url"]!.GetValue<string>());
        Assert.Equal("routed", check.Body["outcome"]!.GetValue<string>());
        Assert.Empty(hook.For(h.Number));
    }
}
