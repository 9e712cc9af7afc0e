using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Convocore.Tests.Analytics;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.AspNetCore.SignalR.Client;
using Xunit.Abstractions;

namespace Convocore.Tests.RealAsterisk;

/// <summary>
/// Test calls on the real Asterisk, without sipp: POST /api/numbers/{phoneNumber}/test-call has the silo originate a
/// Local channel into [from-trunk], whose second half takes the path of a provider's call (dialplan, Stasis, our routing
/// decision, the stub agent). Its outcome reaches the workspace's live feed, and its record the call log, flagged test
/// and left out of the analytics figures unless includeTests=true.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class RealAsteriskTestCallTests(AsteriskFixture asterisk, RealAsteriskSystem system, ITestOutputHelper output)
    : IClassFixture<RealAsteriskSystem>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public async Task InitializeAsync()
    {
        if (!asterisk.IsRunning) return;
        await asterisk.SetGlobalAsync("AGENT_WAIT", "1");
    }

    public async Task DisposeAsync()
    {
        if (!asterisk.IsRunning) return;
        foreach (var id in await asterisk.GetChannelIdsAsync())
        {
            output.WriteLine($"cleanup: hanging up leftover channel {id}");
            using var _ = await asterisk.Ari.DeleteAsync($"channels/{id}");
        }
    }

    [SkippableFact]
    public async Task A_test_call_takes_a_callers_path_to_the_agent_its_outcome_arrives_live_and_the_call_log_keeps_it_flagged_out_of_the_figures()
    {
        asterisk.SkipIfUnavailable();
        await system.StartAsync(asterisk);
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        await using var live = await Listen(setup.Workspace.ApiKey);

        var placed = await setup.Api.Post($"/api/numbers/{TestNumbers.Escaped(number)}/test-call", new { });

        Assert.True(placed.Status == HttpStatusCode.Accepted, placed.ToString());
        var callId = placed.Body!["callId"]!.GetValue<string>();
        Assert.Equal(RealAsteriskSystem.ServerName, placed.Body!["server"]!.GetValue<string>());
        var outcome = await live.Next(Patience);
        Assert.Equal("TestCall", outcome["kind"]!.GetValue<string>());
        var told = outcome["testCall"]!;
        Assert.Equal(callId, told["callId"]!.GetValue<string>());
        Assert.Equal(number, told["phoneNumber"]!.GetValue<string>());
        Assert.Equal("routed", told["outcome"]!.GetValue<string>());
        Assert.Equal(setup.AgentId, told["agentId"]!.GetValue<string>());
        Assert.InRange(told["ownMilliseconds"]!.GetValue<double>(), 0, 2000);

        // The stub agent in [convocore-agent] got the call, as from a provider: the number's agent and trunk.
        Assert.Equal(setup.AgentId, await Poll(() => asterisk.GetGlobalAsync("AGENT_FOR_" + number.TrimStart('+'))));
        Assert.Equal($"{setup.AgentId}|{setup.AgentId}|{setup.Workspace.Id}|{setup.TrunkId}|{number}",
            await Poll(() => asterisk.GetGlobalAsync("AGENT_CALL_" + callId)));

        // Ended by the agent after AGENT_WAIT: in the call log, flagged; out of the figures unless asked for.
        JsonNode? logged = null;
        await Eventually.True(async () =>
        {
            logged = (await setup.Api.GetOk("/api/calls?limit=10"))["items"]!.AsArray().SingleOrDefault(c => c!["channelId"]!.GetValue<string>() == callId);
            return logged?["endedAt"] is not null;
        }, "the test call in the call log", 30);
        Assert.True(logged!["test"]!.GetValue<bool>());
        Assert.Equal("routed", logged["outcome"]!.GetValue<string>());
        Assert.Equal("test", logged["caller"]!.GetValue<string>());
        Assert.Equal(0, (await setup.Api.GetOk("/api/analytics"))["totalCalls"]!.GetValue<int>());
        Assert.Equal(1, (await setup.Api.GetOk("/api/analytics?includeTests=true"))["totalCalls"]!.GetValue<int>());
        Assert.Equal(1, (await setup.Api.GetOk($"/api/numbers/{TestNumbers.Escaped(number)}/analytics?includeTests=true"))["totalCalls"]!.GetValue<int>());
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(10)));
    }

    [SkippableFact]
    public async Task A_test_call_to_a_number_whose_agent_cannot_take_calls_is_refused_with_that_reason_and_told_so()
    {
        asterisk.SkipIfUnavailable();
        await system.StartAsync(asterisk);
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Put($"/api/agents/{setup.AgentId}", new { title = "Off duty", voiceEnabled = false, voice = (object?)null })).Status);
        await using var live = await Listen(setup.Workspace.ApiKey);

        var placed = await setup.Api.Post($"/api/numbers/{TestNumbers.Escaped(number)}/test-call", new { });

        Assert.True(placed.Status == HttpStatusCode.Accepted, placed.ToString());
        JsonNode outcome;
        do outcome = await live.Next(Patience);
        while (outcome["kind"]!.GetValue<string>() != "TestCall");
        Assert.Equal("failed", outcome["testCall"]!["outcome"]!.GetValue<string>());
        Assert.Equal("agent_unavailable", outcome["testCall"]!["reason"]!.GetValue<string>());
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(10)));
    }

    [SkippableFact]
    public async Task Test_calls_are_refused_for_another_workspaces_number_and_beyond_five_a_minute()
    {
        asterisk.SkipIfUnavailable();
        await system.StartAsync(asterisk);
        var owner = await NumberSetup.Create(system, "Pro");
        var stranger = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        await owner.AddOk(number);

        (await stranger.Api.Post($"/api/numbers/{TestNumbers.Escaped(number)}/test-call", new { })).AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
        (await owner.Api.Post($"/api/numbers/{TestNumbers.Escaped(TestNumbers.Next())}/test-call", new { })).AssertProblem(HttpStatusCode.NotFound, "Phone number not found");
        (await owner.Api.Post("/api/numbers/5551234/test-call", new { })).AssertProblem(HttpStatusCode.BadRequest, "Invalid phone number format");

        for (var i = 0; i < 5; i++)
        {
            var placed = await owner.Api.Post($"/api/numbers/{TestNumbers.Escaped(number)}/test-call", new { });
            Assert.True(placed.Status == HttpStatusCode.Accepted, $"test call {i + 1}: {placed}");
        }
        var refused = await owner.Api.Post($"/api/numbers/{TestNumbers.Escaped(number)}/test-call", new { });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.StartsWith("At most 5 test calls a minute per workspace: try again in ", refused.Detail);
        Assert.InRange(refused.RetryAfter!.Value.TotalSeconds, 1, 60);
        // Another workspace has a budget of its own.
        var theirs = TestNumbers.Next();
        await stranger.AddOk(theirs);
        Assert.Equal(HttpStatusCode.Accepted, (await stranger.Api.Post($"/api/numbers/{TestNumbers.Escaped(theirs)}/test-call", new { })).Status);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(15)));
    }

    private static async Task<string?> Poll(Func<Task<string?>> read)
    {
        var deadline = DateTime.UtcNow + Patience;
        string? value;
        while ((value = await read()) is null or "" && DateTime.UtcNow < deadline) await Task.Delay(100);
        return value;
    }

    private async Task<Listener> Listen(string apiKey)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(system.WebAddress, "/hubs/live"), o => o.Headers["Authorization"] = "Bearer " + apiKey)
            .Build();
        var listener = new Listener(connection);
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.On("subscribed", () => subscribed.TrySetResult());
        connection.On<JsonNode>("workspaceChanged", change => listener.Changes.Writer.TryWrite(change));
        await connection.StartAsync();
        await subscribed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return listener;
    }

    private sealed class Listener(HubConnection connection) : IAsyncDisposable
    {
        public Channel<JsonNode> Changes { get; } = Channel.CreateUnbounded<JsonNode>();

        /// <summary>The next TestCall change (other changes, such as the number's own, are passed over).</summary>
        public async Task<JsonNode> Next(TimeSpan within)
        {
            using var timeout = new CancellationTokenSource(within);
            while (true)
            {
                var change = await Changes.Reader.ReadAsync(timeout.Token);
                if (change["kind"]?.GetValue<string>() == "TestCall") return change;
            }
        }

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }
}
