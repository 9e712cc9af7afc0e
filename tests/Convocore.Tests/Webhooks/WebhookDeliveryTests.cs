using System.Net;
using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Webhooks;

/// <summary>Call and number events reach a real receiver signed, per call in order, through failures and an outage of the receiver.</summary>
[Collection(WebhookCollection.Name)]
public sealed class WebhookDeliveryTests(WebhookSystem system)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly string[] CallTypes = ["call.started", "call.routed", "call.ended"];

    [Fact]
    public async Task Call_events_arrive_signed_and_in_order_per_call_while_the_receiver_fails_the_first_attempts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Answer = (_, attempt) => Task.FromResult(attempt <= 2 ? 500 : 200);
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var (webhookId, secret) = await WebhookApi.Create(setup.Api, receiver.Url, CallTypes);

        var calls = new List<string>();
        for (var i = 0; i < 5; i++) calls.Add(await PlaceAndEnd(number));

        await Eventually.True(() => Task.FromResult(receiver.Delivered.Count == 15), "15 call events delivered");
        Assert.All(receiver.Requests, r => Assert.True(WebhookReceiver.Verify(secret, r.Signature, r.RawBody), $"signature of {r.RawBody}"));
        foreach (var call in calls)
        {
            var attempts = receiver.Requests.Where(r => r.CallId == call).ToList();
            // Every attempt at an event, failed ones included, comes after every attempt at the call's earlier events.
            Assert.Equal(CallTypes.SelectMany(t => Enumerable.Repeat(t, 3)), attempts.Select(r => r.Type));
            Assert.Equal(CallTypes, attempts.Where(r => r.Delivered).Select(r => r.Type));
            var ended = attempts.Last().Body;
            Assert.Equal(setup.Workspace.Id, ended["workspaceId"]!.GetValue<string>());
            Assert.Equal(number, ended["data"]!["phoneNumber"]!.GetValue<string>());
            Assert.True(ended["data"]!["durationSeconds"]!.GetValue<double>() >= 0);
            Assert.Equal(attempts[0].EventId, attempts[0].Body["id"]!.GetValue<string>());
        }
        var log = await WebhookApi.Deliveries(setup.Api, webhookId);
        Assert.Equal(15, log.Count);
        Assert.All(log, d => Assert.Equal(("delivered", 3, 200), (d["state"]!.GetValue<string>(), d["attempts"]!.GetValue<int>(), d["lastStatus"]!.GetValue<int>())));
        var created = log.Select(d => DateTimeOffset.Parse(d["createdAt"]!.GetValue<string>())).ToList();
        Assert.Equal(created.OrderDescending(), created);
    }

    [Fact]
    public async Task Number_changes_and_failed_calls_reach_the_webhook_that_asked_for_them_and_nothing_else()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var setup = await NumberSetup.Create(system, "Pro");
        var (_, secret) = await WebhookApi.Create(setup.Api, receiver.Url, ["number.created", "number.updated", "number.deleted", "call.failed"]);
        var number = TestNumbers.Next();

        await setup.AddOk(number);
        var other = await setup.Workspace.CreateAgent("Sales");
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Patch($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}", new { agentId = other })).Status);
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Patch($"/api/agents/{other}", new { voiceEnabled = false })).Status);
        var refused = system.Asterisk.PlaceCall(number, "+442071230000");
        Assert.Equal(CallOutcomeKind.HungUp, (await refused.Outcome.WaitAsync(Patience)).Kind);
        Assert.Equal(HttpStatusCode.NoContent, (await setup.Api.Delete($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}")).Status);

        await Eventually.True(() => Task.FromResult(receiver.Delivered.Count == 4), "4 events delivered");
        var events = receiver.Delivered;
        Assert.Equal(new[] { "call.failed", "number.created", "number.deleted", "number.updated" }, events.Select(e => e.Type).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.True(WebhookReceiver.Verify(secret, e.Signature, e.RawBody)));
        var byType = events.ToDictionary(e => e.Type, e => e.Body);
        Assert.Equal(setup.AgentId, byType["number.created"]["data"]!["agentId"]!.GetValue<string>());
        Assert.Equal(other, byType["number.updated"]["data"]!["agentId"]!.GetValue<string>());
        Assert.Equal("agent_unavailable", byType["call.failed"]["data"]!["reason"]!.GetValue<string>());
        Assert.Equal(number, byType["number.deleted"]["data"]!["phoneNumber"]!.GetValue<string>());
        // Number events in the order the changes landed.
        Assert.Equal(["number.created", "number.updated", "number.deleted"], events.Where(e => e.Type.StartsWith("number.")).Select(e => e.Type));
        await Task.Delay(500);
        Assert.Equal(4, receiver.Requests.Count);
    }

    [Fact]
    public async Task A_receiver_that_is_down_gets_every_event_in_order_once_it_is_back()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var (webhookId, secret) = await WebhookApi.Create(setup.Api, receiver.Url, CallTypes);
        await receiver.StopAsync();

        var calls = new List<string>();
        for (var i = 0; i < 10; i++) calls.Add(await PlaceAndEnd(number));
        // Tried, and tried again, while nothing listens.
        await Eventually.True(async () => (await WebhookApi.Deliveries(setup.Api, webhookId)).Count(d => d["attempts"]!.GetValue<int>() >= 3) >= 10,
            "10 events tried three times while the receiver is down");
        Assert.Empty(receiver.Requests);
        var failing = (await WebhookApi.Deliveries(setup.Api, webhookId)).First(d => d["attempts"]!.GetValue<int>() >= 1);
        Assert.Equal("pending", failing["state"]!.GetValue<string>());
        Assert.NotNull(failing["nextAttemptAt"]?.GetValue<string>());
        Assert.StartsWith("connection failed", failing["lastError"]!.GetValue<string>());
        await receiver.StartAgainAsync();

        await Eventually.True(() => Task.FromResult(receiver.Delivered.Count == 30), "30 call events delivered after the outage");
        foreach (var call in calls)
            Assert.Equal(CallTypes, receiver.Requests.Where(r => r.CallId == call).Select(r => r.Type));
        Assert.All(receiver.Requests, r => Assert.True(WebhookReceiver.Verify(secret, r.Signature, r.RawBody)));
    }

    [Fact]
    public async Task A_receiver_that_holds_every_request_slows_no_call()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var released = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Answer = (_, _) => released.Task;
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        await WebhookApi.Create(setup.Api, receiver.Url, CallTypes);
        // The first events are held open by the receiver before the calls below start.
        await PlaceAndEnd(number);
        await Eventually.True(() => Task.FromResult(receiver.Arrivals >= 1), "the receiver holds a request");

        var calls = Enumerable.Range(0, 40).Select(_ => system.Asterisk.PlaceCall(number, "+442071230000")).ToList();
        var outcomes = await Task.WhenAll(calls.Select(c => c.Outcome.WaitAsync(Patience)));

        Assert.All(outcomes, o => Assert.Equal(CallOutcomeKind.Continued, o.Kind));
        Assert.Empty(receiver.Requests);
        released.SetResult(200);
        foreach (var call in calls) system.Asterisk.EndCall(call.ChannelId);
        // An attempt the sender gave up waiting for (its timeout) is made again, so some events arrive twice: at least once.
        await Eventually.True(() => Task.FromResult(receiver.Delivered.Select(r => r.EventId).Distinct().Count() == 41 * 3),
            "every call's events delivered once the receiver answers");
    }

    [Fact]
    public async Task Redelivering_sends_the_same_event_again_and_the_log_counts_the_attempt()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var setup = await NumberSetup.Create(system, "Pro");
        var (webhookId, secret) = await WebhookApi.Create(setup.Api, receiver.Url, ["number.created"]);
        await setup.AddOk(TestNumbers.Next());
        await Eventually.True(() => Task.FromResult(receiver.Delivered.Count == 1), "number.created delivered");
        var eventId = receiver.Delivered[0].EventId;

        var redelivered = await setup.Api.Post($"/api/webhooks/{webhookId}/deliveries/{eventId}/redeliver");

        Assert.Equal(HttpStatusCode.Accepted, redelivered.Status);
        await Eventually.True(() => Task.FromResult(receiver.Delivered.Count == 2), "the event delivered again");
        Assert.Equal(receiver.Delivered[0].RawBody, receiver.Delivered[1].RawBody);
        Assert.True(WebhookReceiver.Verify(secret, receiver.Delivered[1].Signature, receiver.Delivered[1].RawBody));
        await Eventually.True(async () => (await WebhookApi.Deliveries(setup.Api, webhookId)).Single() is var d
            && d["attempts"]!.GetValue<int>() == 2 && d["state"]!.GetValue<string>() == "delivered", "the log shows two attempts");
        (await setup.Api.Post($"/api/webhooks/{webhookId}/deliveries/evt0000000000000000/redeliver")).AssertProblem(HttpStatusCode.NotFound, "Delivery not found");
    }

    /// <summary>A call handed to its agent, then hung up by the caller; its channel id.</summary>
    private async Task<string> PlaceAndEnd(string number)
    {
        var call = system.Asterisk.PlaceCall(number, "+442071230000");
        Assert.Equal(CallOutcomeKind.Continued, (await call.Outcome.WaitAsync(Patience)).Kind);
        Assert.True(system.Asterisk.EndCall(call.ChannelId));
        return call.ChannelId;
    }
}
