using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Convocore.Tests.RealAsterisk;

/// <summary>
/// Proves that the repo's asterisk/ configs route real SIP calls (sipp → PJSIP trunk → Stasis → [convocore-agent])
/// WITHOUT our silo: the test plays the Stasis app itself over a raw ARI WebSocket and REST.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class AsteriskSmokeTests(AsteriskFixture asterisk, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Number = "+15551234567";
    private const string AgentId = "k3xn9zq2"; // contains n, x and z: pattern letters in Asterisk
    private const string Params = """{"language":"en-US","greeting":"Hi, \"there\"","n":1}""";
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    public async Task InitializeAsync()
    {
        if (asterisk.IsRunning) await asterisk.SetGlobalAsync("AGENT_WAIT", "2");
    }

    public async Task DisposeAsync()
    {
        if (!asterisk.IsRunning) return;
        // leave nothing behind for the next test
        foreach (var id in await asterisk.GetChannelIdsAsync())
        {
            output.WriteLine($"cleanup: hanging up leftover channel {id}");
            using var _ = await asterisk.Ari.DeleteAsync($"channels/{id}");
        }
    }

    [SkippableFact]
    public async Task Routed_call_reaches_the_agent_context_with_the_variables_the_app_set()
    {
        asterisk.SkipIfUnavailable();
        await using var ari = await AriEventSocket.ConnectAsync(asterisk);
        var callsBefore = int.Parse(await asterisk.GetGlobalAsync("AGENT_CALLS") ?? "0");

        var sipp = asterisk.CreateSipp().CallAsync(Number, hold: TimeSpan.FromSeconds(15));
        var start = await ari.WaitForEventAsync("StasisStart", timeout: EventTimeout);
        var channelId = AriEventSocket.ChannelId(start)!;
        Assert.Equal(Number, start.GetProperty("args")[0].GetString());
        Assert.Equal("from-trunk", start.GetProperty("channel").GetProperty("dialplan").GetProperty("context").GetString());
        Assert.StartsWith("PJSIP/trunk-", start.GetProperty("channel").GetProperty("name").GetString());

        await RouteAsync(channelId, AgentId, Number, Params);

        var result = await sipp;
        output.WriteLine(result.ToString());
        var call = Assert.Single(result.Calls);
        Assert.Equal(200, call.FinalStatus);
        Assert.Equal("remote_bye", call.Ended); // the stub agent hung up after AGENT_WAIT seconds
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(1, result.Successful);
        Assert.Equal(0, result.Failed);

        // the call left Stasis through continue; the subscription still tells us when it really ended
        var end = await ari.WaitForEventAsync("StasisEnd", channelId, EventTimeout);
        var destroyed = await ari.WaitForEventAsync("ChannelDestroyed", channelId, EventTimeout);
        output.WriteLine("ChannelDestroyed: " + destroyed.GetRawText());
        Assert.Equal(16, destroyed.GetProperty("cause").GetInt32()); // normal clearing
        Assert.True(IndexOf(ari, destroyed) > IndexOf(ari, end));

        Assert.Equal(AgentId, await asterisk.GetGlobalAsync("LAST_AGENT"));
        Assert.Equal(AgentId, await asterisk.GetGlobalAsync("LAST_AGENT_VAR"));
        Assert.Equal("ws-1", await asterisk.GetGlobalAsync("LAST_WORKSPACE"));
        Assert.Equal("trunk-1", await asterisk.GetGlobalAsync("LAST_TRUNK"));
        Assert.Equal(Number, await asterisk.GetGlobalAsync("LAST_NUMBER"));
        Assert.Equal(Params, await asterisk.GetGlobalAsync("LAST_PARAMS"));
        Assert.Equal(channelId, await asterisk.GetGlobalAsync("LAST_UNIQUEID"));
        Assert.Equal($"{AgentId}|{AgentId}|ws-1|trunk-1|{Number}", await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
        Assert.Equal(Params, await asterisk.GetGlobalAsync($"AGENT_PARAMS_{channelId}"));
        Assert.Equal(AgentId, await asterisk.GetGlobalAsync("AGENT_FOR_15551234567"));
        Assert.Equal(callsBefore + 1, int.Parse(await asterisk.GetGlobalAsync("AGENT_CALLS") ?? "0"));

        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(5)));
    }

    [SkippableTheory]
    [InlineData("+15551234567")]
    [InlineData("15551234567")]
    [InlineData("0015551234567")]
    [InlineData("7")]
    public async Task Dialed_number_arrives_in_StasisStart_args_as_sent(string dialed)
    {
        asterisk.SkipIfUnavailable();
        await using var ari = await AriEventSocket.ConnectAsync(asterisk);
        var sipp = asterisk.CreateSipp().CallAsync(dialed);
        var start = await ari.WaitForEventAsync("StasisStart", timeout: EventTimeout);
        Assert.Equal(dialed, start.GetProperty("args")[0].GetString());
        Assert.Equal(dialed, start.GetProperty("channel").GetProperty("dialplan").GetProperty("exten").GetString());
        await HangUpAsync(AriEventSocket.ChannelId(start)!, "unallocated");
        var result = await sipp;
        Assert.Equal(404, Assert.Single(result.Calls).FinalStatus);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>DELETE /channels/{id}?reason=... before answer → the SIP final response the caller gets.</summary>
    [SkippableTheory]
    [InlineData("unallocated", 404)]
    [InlineData("congestion", 503)]
    [InlineData("busy", 486)]
    [InlineData("normal", 603)]
    [InlineData("no_answer", 480)]
    [InlineData("normal_unspecified", 480)]
    [InlineData("rejected", 403)]
    [InlineData("failure", 500)]
    [InlineData("number_incomplete", 484)]
    [InlineData("timeout", 408)]
    [InlineData("codec_mismatch", 488)]
    [InlineData("interworking", 500)]
    [InlineData("answered_elsewhere", 603)]
    public async Task Hang_up_reason_maps_to_SIP_final_response(string reason, int expectedStatus)
    {
        asterisk.SkipIfUnavailable();
        await using var ari = await AriEventSocket.ConnectAsync(asterisk);
        var sipp = asterisk.CreateSipp().CallAsync("+15550000404");
        var start = await ari.WaitForEventAsync("StasisStart", timeout: EventTimeout);
        var channelId = AriEventSocket.ChannelId(start)!;
        // without a subscription the app hears nothing after StasisEnd (no ChannelDestroyed)
        await PostOkAsync($"applications/{AsteriskFixture.AppName}/subscription?eventSource={Uri.EscapeDataString("channel:" + channelId)}");
        await HangUpAsync(channelId, reason);
        var result = await sipp;
        var call = Assert.Single(result.Calls);
        output.WriteLine($"reason={reason} -> SIP {call.FinalStatus} {call.ReasonPhrase}");
        var destroyed = await ari.WaitForEventAsync("ChannelDestroyed", channelId, EventTimeout);
        output.WriteLine($"ChannelDestroyed cause {destroyed.GetProperty("cause")} {destroyed.GetProperty("cause_txt")}");
        Assert.Equal(expectedStatus, call.FinalStatus);
        Assert.Equal("rejected", call.Ended);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(5)));
    }

    [SkippableTheory]
    [InlineData("a")]
    [InlineData("7")]
    [InlineData("n")]
    [InlineData("x")]
    [InlineData("z")]
    [InlineData("nxz")]
    [InlineData("zz9")]
    [InlineData("0k3xn9zq2")]
    public async Task Agent_context_matches_any_lowercase_alphanumeric_id(string agentId)
    {
        asterisk.SkipIfUnavailable();
        await asterisk.SetGlobalAsync("AGENT_WAIT", "0");
        await using var ari = await AriEventSocket.ConnectAsync(asterisk);
        var sipp = asterisk.CreateSipp().CallAsync("+15557770001");
        var start = await ari.WaitForEventAsync("StasisStart", timeout: EventTimeout);
        var channelId = AriEventSocket.ChannelId(start)!;
        await RouteAsync(channelId, agentId, "+15557770001", "{}");
        var result = await sipp;
        Assert.Equal(200, Assert.Single(result.Calls).FinalStatus);
        await ari.WaitForEventAsync("ChannelDestroyed", channelId, EventTimeout);
        Assert.StartsWith(agentId + "|", await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
    }

    [SkippableFact]
    public async Task Several_concurrent_calls_each_leave_their_own_record()
    {
        asterisk.SkipIfUnavailable();
        await using var ari = await AriEventSocket.ConnectAsync(asterisk);
        var callsBefore = int.Parse(await asterisk.GetGlobalAsync("AGENT_CALLS") ?? "0");
        const int calls = 5;
        var sipp = asterisk.CreateSipp().RunAsync(new SippOptions
        {
            Dialed = Number, Calls = calls, RatePerSecond = 10, MaxConcurrent = calls, Hold = TimeSpan.FromSeconds(15),
        });
        var routed = new Dictionary<string, string>();
        for (var i = 0; i < calls; i++)
        {
            var start = await ari.WaitForEventAsync("StasisStart", timeout: EventTimeout);
            var channelId = AriEventSocket.ChannelId(start)!;
            var agent = $"agent{i}";
            routed[channelId] = agent;
            await RouteAsync(channelId, agent, Number, $$"""{"i":{{i}}}""");
        }
        var result = await sipp;
        output.WriteLine(result.ToString());
        Assert.Equal(calls, result.Answered);
        Assert.All(result.Calls, c => Assert.Equal("remote_bye", c.Ended));
        Assert.Equal(calls, result.Successful);
        Assert.NotNull(result.AverageResponseTime);
        foreach (var (channelId, agent) in routed)
        {
            await ari.WaitForEventAsync("ChannelDestroyed", channelId, EventTimeout);
            Assert.Equal($"{agent}|{agent}|ws-1|trunk-1|{Number}", await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
        }
        Assert.Equal(callsBefore + calls, int.Parse(await asterisk.GetGlobalAsync("AGENT_CALLS") ?? "0"));
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>No WebSocket for the app (silo down): Stasis() fails, the dialplan hangs up with cause 34.</summary>
    [SkippableFact]
    public async Task Without_the_app_connected_the_caller_gets_503()
    {
        asterisk.SkipIfUnavailable();
        // make sure no socket of an earlier test is still registered
        await Task.Delay(200);
        var result = await asterisk.CreateSipp().CallAsync(Number);
        output.WriteLine(result.ToString());
        Assert.Equal(503, Assert.Single(result.Calls).FinalStatus);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>Nobody answers: sipp stops at its own timeout (it sends no CANCEL); the helper never hangs.
    /// The channel stays in Stasis until the app hangs it up - without a subscription StasisEnd is the last event.</summary>
    [SkippableFact]
    public async Task Sipp_gives_up_at_its_timeout_when_nobody_answers()
    {
        asterisk.SkipIfUnavailable();
        await using var ari = await AriEventSocket.ConnectAsync(asterisk);
        var started = DateTime.UtcNow;
        var sipp = asterisk.CreateSipp().CallAsync(Number, timeout: TimeSpan.FromSeconds(3));
        var start = await ari.WaitForEventAsync("StasisStart", timeout: EventTimeout);
        var channelId = AriEventSocket.ChannelId(start)!;
        var result = await sipp;
        output.WriteLine(result.ToString());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15));
        var call = Assert.Single(result.Calls);
        Assert.Null(call.FinalStatus);
        Assert.False(call.Completed);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(channelId, await asterisk.GetChannelIdsAsync());
        await HangUpAsync(channelId, "normal");
        await ari.WaitForEventAsync("StasisEnd", channelId, EventTimeout);
        Assert.Empty(await asterisk.WaitForNoChannelsAsync(TimeSpan.FromSeconds(5)));
    }

    /// <summary>POST /channels/{id}/variables (bulk, Asterisk 20.20/22.10/23.4+) and REST over the WebSocket.</summary>
    [SkippableFact]
    public async Task Bulk_variables_and_REST_over_WebSocket_route_a_call()
    {
        asterisk.SkipIfUnavailable();
        await using var ari = await AriEventSocket.ConnectAsync(asterisk);
        var sipp = asterisk.CreateSipp().CallAsync(Number, hold: TimeSpan.FromSeconds(15));
        var start = await ari.WaitForEventAsync("StasisStart", timeout: EventTimeout);
        var channelId = AriEventSocket.ChannelId(start)!;

        // 1. bulk variables over HTTP
        using (var bulk = await asterisk.Ari.PostAsJsonAsync($"channels/{channelId}/variables",
                   new { variables = new Dictionary<string, string> { ["CONVOCORE_AGENT_ID"] = "bulkagent", ["CONVOCORE_WORKSPACE_ID"] = "ws-bulk" } }))
        {
            output.WriteLine($"HTTP POST channels/{{id}}/variables -> {(int)bulk.StatusCode} {await bulk.Content.ReadAsStringAsync()}");
            Assert.Equal(HttpStatusCode.NoContent, bulk.StatusCode);
        }

        // 2. the rest over the WebSocket
        var vars = await ari.SendRestAsync("POST", $"channels/{channelId}/variables", body: new JsonObject
        {
            ["variables"] = new JsonObject
            {
                ["CONVOCORE_TRUNK_ID"] = "trunk-ws",
                ["CONVOCORE_NUMBER"] = Number,
                ["CONVOCORE_PARAMS"] = Params,
            },
        });
        output.WriteLine("RESTResponse (bulk variables): " + vars.GetRawText());
        Assert.Equal(204, vars.GetProperty("status_code").GetInt32());

        var one = await ari.SendRestAsync("POST", $"channels/{channelId}/variable",
            [new("variable", "CONVOCORE_EXTRA"), new("value", "x y+z")]);
        output.WriteLine("RESTResponse (variable): " + one.GetRawText());
        Assert.Equal(204, one.GetProperty("status_code").GetInt32());

        var get = await ari.SendRestAsync("GET", $"channels/{channelId}/variable", [new("variable", "CONVOCORE_EXTRA")]);
        output.WriteLine("RESTResponse (get variable): " + get.GetRawText());
        Assert.Equal(200, get.GetProperty("status_code").GetInt32());
        using (var body = JsonDocument.Parse(get.GetProperty("message_body").GetString()!))
            Assert.Equal("x y+z", body.RootElement.GetProperty("value").GetString());

        var sub = await ari.SendRestAsync("POST", $"applications/{AsteriskFixture.AppName}/subscription",
            [new("eventSource", $"channel:{channelId}")]);
        output.WriteLine("RESTResponse (subscribe): " + sub.GetRawText());
        Assert.Equal(200, sub.GetProperty("status_code").GetInt32());

        var cont = await ari.SendRestAsync("POST", $"channels/{channelId}/continue",
            [new("context", "convocore-agent"), new("extension", "bulkagent"), new("priority", "1")]);
        output.WriteLine("RESTResponse (continue): " + cont.GetRawText());
        Assert.Equal(204, cont.GetProperty("status_code").GetInt32());

        var result = await sipp;
        Assert.Equal(200, Assert.Single(result.Calls).FinalStatus);
        await ari.WaitForEventAsync("ChannelDestroyed", channelId, EventTimeout);
        Assert.Equal($"bulkagent|bulkagent|ws-bulk|trunk-ws|{Number}", await asterisk.GetGlobalAsync($"AGENT_CALL_{channelId}"));
        Assert.Equal(Params, await asterisk.GetGlobalAsync($"AGENT_PARAMS_{channelId}"));

        var missing = await ari.SendRestAsync("POST", "channels/no-such-channel/continue");
        output.WriteLine("RESTResponse (unknown channel): " + missing.GetRawText());
        Assert.Equal(404, missing.GetProperty("status_code").GetInt32());
    }

    [SkippableFact]
    public void Cli_answers_through_the_control_socket()
    {
        asterisk.SkipIfUnavailable();
        var version = asterisk.RunCli("core show version");
        Assert.Contains("Asterisk", version);
        var dialplan = asterisk.RunCli("dialplan show convocore-agent");
        Assert.Contains("_[a-zA-Z0-9].", dialplan);
        output.WriteLine(version + dialplan);
    }

    [SkippableFact]
    public async Task Restart_brings_back_a_working_Asterisk()
    {
        asterisk.SkipIfUnavailable();
        await asterisk.SetGlobalAsync("RESTART_MARK", "before");
        await asterisk.RestartAsync();
        Assert.Null(await asterisk.GetGlobalAsync("RESTART_MARK")); // a fresh process
        Assert.Equal("2", await asterisk.GetGlobalAsync("AGENT_WAIT"));
        await using var ari = await AriEventSocket.ConnectAsync(asterisk);
        var sipp = asterisk.CreateSipp().CallAsync(Number);
        var start = await ari.WaitForEventAsync("StasisStart", timeout: EventTimeout);
        await HangUpAsync(AriEventSocket.ChannelId(start)!, "unallocated");
        Assert.Equal(404, Assert.Single((await sipp).Calls).FinalStatus);
    }

    private async Task RouteAsync(string channelId, string agentId, string number, string parameters)
    {
        foreach (var (name, value) in new[]
                 {
                     ("CONVOCORE_AGENT_ID", agentId), ("CONVOCORE_WORKSPACE_ID", "ws-1"), ("CONVOCORE_TRUNK_ID", "trunk-1"),
                     ("CONVOCORE_NUMBER", number), ("CONVOCORE_PARAMS", parameters),
                 })
        {
            await PostOkAsync($"channels/{channelId}/variable?variable={name}&value={Uri.EscapeDataString(value)}");
        }
        await PostOkAsync($"applications/{AsteriskFixture.AppName}/subscription?eventSource={Uri.EscapeDataString("channel:" + channelId)}");
        await PostOkAsync($"channels/{channelId}/continue?context=convocore-agent&extension={Uri.EscapeDataString(agentId)}&priority=1");
    }

    private async Task HangUpAsync(string channelId, string reason)
    {
        using var response = await asterisk.Ari.DeleteAsync($"channels/{channelId}?reason={reason}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task PostOkAsync(string uri)
    {
        using var response = await asterisk.Ari.PostAsync(uri, null);
        Assert.True(response.IsSuccessStatusCode, $"POST {uri} -> {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static int IndexOf(AriEventSocket ari, JsonElement e)
    {
        var all = ari.Messages;
        for (var i = 0; i < all.Count; i++)
        {
            if (all[i].GetRawText() == e.GetRawText()) return i;
        }
        return -1;
    }
}
