using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Convocore.Tests.Numbers;
using Xunit.Abstractions;

namespace Convocore.Tests.RealAsterisk;

/// <summary>
/// Real SIP calls (sipp → Asterisk 23.4.1 PJSIP trunk → Stasis(convocore)) routed by OUR silos' Stasis app, with
/// numbers configured through the web API. Every assertion is about what Asterisk itself reports: sipp's final status,
/// the globals the stub agent context wrote (read through ARI), the channels left (<c>GET /ari/channels</c>).
/// An observer ARI app (<c>subscribeAll</c>) maps each dialed number to its channel id, so each call's own
/// <c>AGENT_CALL_&lt;channel id&gt;</c> record is checked.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class RealAsteriskRoutingTests(AsteriskFixture asterisk, RealAsteriskSystem system, ITestOutputHelper output)
    : IClassFixture<RealAsteriskSystem>, IAsyncLifetime
{
    private const string ObserverApp = "convocore-observer";
    private static readonly TimeSpan NoChannelsTimeout = TimeSpan.FromSeconds(10);
    private readonly Stopwatch clock = Stopwatch.StartNew();

    public async Task InitializeAsync()
    {
        if (!asterisk.IsRunning) return;
        // the stub agent keeps a routed call up this many seconds, then hangs up (BYE to sipp)
        await asterisk.SetGlobalAsync("AGENT_WAIT", "1");
    }

    public async Task DisposeAsync()
    {
        if (!asterisk.IsRunning) return;
        try
        {
            // leave nothing behind for the next test, whatever happened in this one
            foreach (var id in await asterisk.GetChannelIdsAsync())
            {
                output.WriteLine($"cleanup: hanging up leftover channel {id}");
                using var _ = await asterisk.Ari.DeleteAsync($"channels/{id}");
            }
        }
        catch (HttpRequestException ex)
        {
            output.WriteLine("cleanup: " + ex.Message);
        }
        output.WriteLine($"test took {clock.Elapsed.TotalSeconds:0.0}s");
    }

    /// <summary>Skips without Asterisk/sipp; otherwise starts the system once for the class and waits until the app is connected.</summary>
    private async Task StartAsync()
    {
        asterisk.SkipIfUnavailable();
        var health = await system.StartAsync(asterisk);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}s] system up: {health}");
    }

    [SkippableFact]
    public async Task A_number_added_through_the_API_is_answered_and_the_agent_context_gets_agent_workspace_trunk_number_and_params()
    {
        await StartAsync();
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        var additionalParams = new JsonObject { ["language"] = "en-US", ["greeting"] = "Hi, \"there\" + welcome", ["vip"] = true, ["n"] = 1 };
        var added = await setup.Add(number, additionalParams: additionalParams);
        Assert.True(added.Status == HttpStatusCode.Created, $"adding {number}: {added}");
        var callsBefore = await AgentCallsAsync();
        await using var observer = await ChannelObserver.StartAsync(asterisk);

        var result = await asterisk.CreateSipp().CallAsync(number);

        output.WriteLine(result.ToString());
        var call = Assert.Single(result.Calls);
        Assert.Equal(200, call.FinalStatus);
        Assert.Equal("remote_bye", call.Ended); // the stub agent hung up after AGENT_WAIT
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));

        var channelId = Assert.Single(observer.ChannelsDialing(number));
        var destroyed = await observer.WaitForDestroyedAsync(channelId);
        output.WriteLine($"channel {channelId}: {observer.Sequence(channelId)}");
        output.WriteLine($"ChannelDestroyed cause {destroyed.GetProperty("cause")} {destroyed.GetProperty("cause_txt")}");
        Assert.Equal(16, destroyed.GetProperty("cause").GetInt32()); // normal clearing: the agent hung up
        observer.AssertVariablesSetBeforeLeavingStasis(channelId);

        Assert.Equal($"{setup.AgentId}|{setup.AgentId}|{setup.Workspace.Id}|{setup.TrunkId}|{number}",
            await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
        var agentParams = await asterisk.GetGlobalAsync($"AGENT_PARAMS_{channelId}");
        output.WriteLine($"CONVOCORE_PARAMS as the agent context saw it: {agentParams}");
        Assert.True(JsonNode.DeepEquals(additionalParams, JsonNode.Parse(agentParams!)), $"CONVOCORE_PARAMS {agentParams}");
        Assert.Equal(setup.AgentId, await asterisk.GetGlobalAsync($"AGENT_FOR_{number[1..]}"));
        Assert.Equal(setup.AgentId, await asterisk.GetGlobalAsync("LAST_AGENT"));
        Assert.Equal(setup.Workspace.Id, await asterisk.GetGlobalAsync("LAST_WORKSPACE"));
        Assert.Equal(setup.TrunkId, await asterisk.GetGlobalAsync("LAST_TRUNK"));
        Assert.Equal(number, await asterisk.GetGlobalAsync("LAST_NUMBER"));
        Assert.Equal(callsBefore + 1, await AgentCallsAsync());
        Assert.Empty(await asterisk.AppChannelIdsAsync());
    }

    [SkippableFact]
    public async Task An_unknown_number_gets_404_and_nothing_is_answered()
    {
        await StartAsync();
        var number = TestNumbers.Next();
        var callsBefore = await AgentCallsAsync();
        await using var observer = await ChannelObserver.StartAsync(asterisk);

        var result = await asterisk.CreateSipp().CallAsync(number);

        output.WriteLine(result.ToString());
        var call = Assert.Single(result.Calls);
        Assert.Equal(404, call.FinalStatus);
        Assert.Equal("rejected", call.Ended);
        Assert.Equal(0, result.Answered);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
        var channelId = Assert.Single(observer.ChannelsDialing(number));
        var destroyed = await observer.WaitForDestroyedAsync(channelId);
        output.WriteLine($"channel {channelId}: {observer.Sequence(channelId)}");
        Assert.Equal(1, destroyed.GetProperty("cause").GetInt32()); // unallocated
        Assert.Equal(callsBefore, await AgentCallsAsync());
        Assert.Null(await asterisk.GetGlobalAsync($"AGENT_FOR_{number[1..]}"));
        Assert.Null(await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
    }

    [SkippableFact]
    public async Task After_a_delete_the_very_next_call_gets_404()
    {
        await StartAsync();
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(200, await CallStatusAsync(number));
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));

        var deleted = await setup.Api.Delete($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        var callsBefore = await AgentCallsAsync();

        Assert.Equal(404, await CallStatusAsync(number));
        Assert.Equal(callsBefore, await AgentCallsAsync());
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
    }

    [SkippableFact]
    public async Task After_a_reassignment_the_very_next_call_reaches_the_new_agent()
    {
        await StartAsync();
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(200, await CallStatusAsync(number));
        Assert.Equal(setup.AgentId, await asterisk.GetGlobalAsync($"AGENT_FOR_{number[1..]}"));
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
        var newAgent = await setup.Workspace.CreateAgent("Sales");

        var reassigned = await setup.Api.Patch($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}", new { agentId = newAgent });
        Assert.Equal(HttpStatusCode.OK, reassigned.Status);

        Assert.Equal(200, await CallStatusAsync(number));
        Assert.Equal(newAgent, await asterisk.GetGlobalAsync($"AGENT_FOR_{number[1..]}"));
        Assert.Equal(newAgent, await asterisk.GetGlobalAsync("LAST_AGENT"));
        Assert.Equal(newAgent, await asterisk.GetGlobalAsync("LAST_AGENT_VAR"));
        Assert.Equal(number, await asterisk.GetGlobalAsync("LAST_NUMBER"));
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
    }

    [SkippableTheory]
    [InlineData("")]   // 15551234567
    [InlineData("00")] // 0015551234567
    public async Task A_DID_sent_without_the_plus_is_routed_like_its_E164_form(string prefix)
    {
        await StartAsync();
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var dialed = prefix + number[1..];
        await using var observer = await ChannelObserver.StartAsync(asterisk);

        var result = await asterisk.CreateSipp().CallAsync(dialed);

        output.WriteLine($"dialed {dialed}: {result}");
        Assert.Equal(200, Assert.Single(result.Calls).FinalStatus);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
        var channelId = Assert.Single(observer.ChannelsDialing(dialed)); // Asterisk got the DID as sent ...
        await observer.WaitForDestroyedAsync(channelId);
        // ... and the silo handed the agent the E.164 form
        Assert.Equal($"{setup.AgentId}|{setup.AgentId}|{setup.Workspace.Id}|{setup.TrunkId}|{number}",
            await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
        Assert.Equal(setup.AgentId, await asterisk.GetGlobalAsync($"AGENT_FOR_{number[1..]}"));
    }

    [SkippableFact]
    public async Task When_the_caller_hangs_up_after_the_handoff_nothing_is_left_in_Stasis_or_in_channels()
    {
        await StartAsync();
        await asterisk.SetGlobalAsync("AGENT_WAIT", "10"); // the agent would talk long; the caller hangs up first
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        await using var observer = await ChannelObserver.StartAsync(asterisk);

        var sipp = asterisk.CreateSipp().CallAsync(number, hold: TimeSpan.FromSeconds(2));

        // while the agent talks, the channel has left Stasis (continue) and our app holds nothing of it: no subscription,
        // its end comes from the hangup handler
        var talking = await asterisk.WaitForTalkingChannelAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(talking, await asterisk.AppChannelIdsAsync());
        var result = await sipp;
        output.WriteLine(result.ToString());
        var call = Assert.Single(result.Calls);
        Assert.Equal(200, call.FinalStatus);
        Assert.Equal("local_bye", call.Ended); // sipp sent the BYE (and got 200 for it)
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
        Assert.Empty(await asterisk.AppChannelIdsAsync());
        var channelId = Assert.Single(observer.ChannelsDialing(number));
        Assert.Equal(talking, channelId);
        var destroyed = await observer.WaitForDestroyedAsync(channelId);
        output.WriteLine($"channel {channelId}: {observer.Sequence(channelId)}");
        // Asterisk 23.4.1 reports a caller's plain BYE (no Reason header) as cause 0 "Unknown", not 16
        output.WriteLine($"ChannelDestroyed cause {destroyed.GetProperty("cause")} {destroyed.GetProperty("cause_txt")}");
        Assert.Contains(destroyed.GetProperty("cause").GetInt32(), new[] { 0, 16 });
        Assert.StartsWith(setup.AgentId + "|", await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
    }

    [SkippableFact]
    public async Task After_Asterisk_restarts_the_silo_reconnects_by_itself_and_routes_the_next_call()
    {
        await StartAsync();
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        var restart = Stopwatch.StartNew();
        await asterisk.RestartAsync();
        var restarted = restart.Elapsed;
        await asterisk.SetGlobalAsync("AGENT_WAIT", "1"); // globals start over with Asterisk
        var health = await system.WaitUntilConnectedAsync(asterisk);
        output.WriteLine($"Asterisk restarted in {restarted.TotalSeconds:0.0}s, app connected again {(restart.Elapsed - restarted).TotalSeconds:0.0}s later: {health}");

        var result = await asterisk.CreateSipp().CallAsync(number);

        output.WriteLine(result.ToString());
        Assert.Equal(200, Assert.Single(result.Calls).FinalStatus);
        Assert.Equal(setup.AgentId, await asterisk.GetGlobalAsync($"AGENT_FOR_{number[1..]}"));
        Assert.Equal("1", await asterisk.GetGlobalAsync("AGENT_CALLS"));
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
    }

    [SkippableFact]
    public async Task Twenty_calls_at_ten_per_second_are_all_answered_by_their_agent_and_no_channel_is_left()
    {
        await StartAsync();
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var callsBefore = await AgentCallsAsync();
        await using var observer = await ChannelObserver.StartAsync(asterisk);
        const int calls = 20;

        var result = await asterisk.CreateSipp().RunAsync(new SippOptions
        {
            Dialed = number, Calls = calls, RatePerSecond = 10, MaxConcurrent = calls,
            Hold = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(30),
        });

        output.WriteLine(result.ToString());
        output.WriteLine($"average INVITE → 200 OK: {result.AverageResponseTime?.TotalMilliseconds:0.0} ms; " +
                         $"slowest {result.Calls.Max(c => c.ResponseTime)?.TotalMilliseconds:0.0} ms");
        Assert.Equal(calls, result.Calls.Count);
        Assert.Equal(calls, result.Answered);
        Assert.All(result.Calls, c => Assert.Equal("remote_bye", c.Ended));
        Assert.Equal(calls, result.Successful);
        Assert.Equal(0, result.Failed);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
        Assert.Empty(await asterisk.AppChannelIdsAsync());

        var channels = observer.ChannelsDialing(number);
        Assert.Equal(calls, channels.Count);
        foreach (var channelId in channels)
        {
            await observer.WaitForDestroyedAsync(channelId);
            Assert.Equal($"{setup.AgentId}|{setup.AgentId}|{setup.Workspace.Id}|{setup.TrunkId}|{number}",
                await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
        }
        Assert.Equal(callsBefore + calls, await AgentCallsAsync());
    }

    /// <summary>On 23.4.1 the silo uses the fastest routes (REST over the events WebSocket, bulk variables); forced to the
    /// oldest ones (HTTP, one request per variable) it still routes. Restarts the cluster twice (forced, then back).</summary>
    [SkippableFact]
    public async Task The_fastest_routes_are_used_and_the_forced_oldest_routes_still_route_a_call()
    {
        await StartAsync();
        var health = await system.WaitUntilConnectedAsync(asterisk);
        output.WriteLine($"Asterisk {asterisk.AsteriskVersion}: {health}");
        Assert.Contains("(silo ", health);
        if (asterisk.AsteriskVersion == "23.4.1")
            Assert.Contains("; WebSocket commands, Bulk variables over Http, Asterisk 23.4.1)", health);
        else
            Assert.Contains($"Asterisk {asterisk.AsteriskVersion})", health);
        // The app asked Asterisk for only the events it handles, the replies of REST over the WebSocket among them.
        using (var application = JsonDocument.Parse(await asterisk.Ari.GetStringAsync("applications/convocore")))
        {
            var allowed = application.RootElement.GetProperty("events_allowed").EnumerateArray()
                .Select(e => e.GetProperty("type").GetString()!).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(["ApplicationReplaced", "RESTResponse", "StasisStart"], allowed);
        }

        try
        {
            var forced = await system.RestartWithRoutesAsync(asterisk, forceOldRoutes: true);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}s] forced: {forced}");
            Assert.Contains($"Http commands, PerVariable variables over Http, Asterisk {asterisk.AsteriskVersion})", forced);

            var setup = await NumberSetup.Create(system, "Pro");
            var number = TestNumbers.Next();
            var additionalParams = new JsonObject { ["greeting"] = "a & b = c, \"d\"?", ["x"] = 1 }; // query-string hostile
            var added = await setup.Add(number, additionalParams: additionalParams);
            Assert.True(added.Status == HttpStatusCode.Created, $"adding {number}: {added}");
            await using var observer = await ChannelObserver.StartAsync(asterisk);

            var result = await asterisk.CreateSipp().CallAsync(number);

            output.WriteLine(result.ToString());
            Assert.Equal(200, Assert.Single(result.Calls).FinalStatus);
            Assert.Empty(await asterisk.WaitForNoChannelsAsync(NoChannelsTimeout));
            var channelId = Assert.Single(observer.ChannelsDialing(number));
            await observer.WaitForDestroyedAsync(channelId);
            Assert.Equal($"{setup.AgentId}|{setup.AgentId}|{setup.Workspace.Id}|{setup.TrunkId}|{number}",
                await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
            var agentParams = await asterisk.GetGlobalAsync($"AGENT_PARAMS_{channelId}");
            Assert.True(JsonNode.DeepEquals(additionalParams, JsonNode.Parse(agentParams!)), $"CONVOCORE_PARAMS {agentParams}");
            observer.AssertVariablesSetBeforeLeavingStasis(channelId);
        }
        finally
        {
            var back = await system.RestartWithRoutesAsync(asterisk, forceOldRoutes: false);
            output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}s] back: {back}");
        }
    }

    private async Task<int> CallStatusAsync(string dialed)
    {
        var result = await asterisk.CreateSipp().CallAsync(dialed);
        output.WriteLine($"call {dialed}: {result}");
        return Assert.Single(result.Calls).FinalStatus ?? 0;
    }


    private async Task<int> AgentCallsAsync() => int.Parse(await asterisk.GetGlobalAsync("AGENT_CALLS") ?? "0");


    /// <summary>A second ARI app with <c>subscribeAll</c>: sees every channel's events, takes part in no call.</summary>
    private sealed class ChannelObserver : IAsyncDisposable
    {
        private readonly AriEventSocket socket;

        private ChannelObserver(AriEventSocket socket) => this.socket = socket;

        public static async Task<ChannelObserver> StartAsync(AsteriskFixture asterisk) =>
            new(await AriEventSocket.ConnectAsync(asterisk, ObserverApp, subscribeAll: true));

        /// <summary>Ids of the channels that entered [from-trunk] with this extension (the DID as sent), in order.</summary>
        public IReadOnlyList<string> ChannelsDialing(string exten) =>
            socket.Messages
                .Where(m => m.TryGetProperty("channel", out var c) && c.TryGetProperty("dialplan", out var d) &&
                            d.ValueKind == JsonValueKind.Object &&
                            d.TryGetProperty("context", out var context) && context.GetString() == "from-trunk" &&
                            d.TryGetProperty("exten", out var e) && e.GetString() == exten)
                .Select(m => AriEventSocket.ChannelId(m)!)
                .Distinct()
                .ToList();

        public Task<JsonElement> WaitForDestroyedAsync(string channelId) =>
            socket.WaitForAsync(m => AriEventSocket.Type(m) == "ChannelDestroyed" && AriEventSocket.ChannelId(m) == channelId,
                TimeSpan.FromSeconds(10), $"ChannelDestroyed for {channelId}");

        /// <summary>The event types seen for one channel, in order (repeats folded), for the test output.</summary>
        public string Sequence(string channelId)
        {
            var names = new List<string>();
            foreach (var m in socket.Messages.Where(m => AriEventSocket.ChannelId(m) == channelId))
            {
                var name = AriEventSocket.Type(m) ?? "?";
                if (name == "ChannelVarset" && m.TryGetProperty("variable", out var v)) name += $"({v.GetString()})";
                else if (name == "ChannelStateChange") name += $"({m.GetProperty("channel").GetProperty("state").GetString()})";
                else if (name == "ChannelDialplan") name += $"({m.GetProperty("dialplan_app").GetString()})";
                if (names.Count > 0 && names[^1] == name) continue;
                names.Add(name);
            }
            return string.Join(" → ", names);
        }

        /// <summary>All five CONVOCORE_* variables were set while the channel was still in Stasis: the ChannelVarset
        /// events come before the second STASISSTATUS (set when <c>continue</c> takes the channel out of Stasis).</summary>
        public void AssertVariablesSetBeforeLeavingStasis(string channelId)
        {
            var varsets = socket.Messages
                .Where(m => AriEventSocket.ChannelId(m) == channelId && AriEventSocket.Type(m) == "ChannelVarset")
                .Select(m => m.GetProperty("variable").GetString()!)
                .ToList();
            var left = varsets.IndexOf("STASISSTATUS", varsets.IndexOf("STASISSTATUS") + 1);
            Assert.True(left > 0, $"the channel never left Stasis: {string.Join(", ", varsets)}");
            foreach (var name in new[] { "CONVOCORE_AGENT_ID", "CONVOCORE_WORKSPACE_ID", "CONVOCORE_TRUNK_ID", "CONVOCORE_NUMBER", "CONVOCORE_PARAMS" })
            {
                var at = varsets.IndexOf(name);
                Assert.True(at >= 0 && at < left, $"{name} not set before the channel left Stasis: {string.Join(", ", varsets)}");
            }
        }

        public ValueTask DisposeAsync() => socket.DisposeAsync();
    }
}
