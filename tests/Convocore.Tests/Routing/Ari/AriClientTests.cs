using System.Text.Json;
using Convocore.AriSimulator;
using Convocore.Silo.Routing.Ari;

namespace Convocore.Tests.Routing.Ari;

public class AriClientTests
{
    private static readonly Func<AriConnectionSettings, AriConnectionSettings> ForceOldRoutes =
        s => s with { ForceHttpTransport = true, ForcePerVariableSet = true };

    [Fact]
    public async Task Connect_ToAsterisk23_4_1_ChoosesBulkVariablesOverRestOverWebSocket()
    {
        await using var ari = await AriHarness.StartAsync("23.4.1");

        Assert.Equal(new AriRoutes("23.4.1", AriCommandTransport.WebSocket, AriVariableRoute.Bulk), ari.Client.Routes);
        Assert.Equal("23.4.1", ari.Client.ServerInfo?.System?.Version);
    }

    [Fact]
    public async Task Connect_ToAsterisk20_1_0_FallsBackToHttpAndPerVariableSets()
    {
        await using var ari = await AriHarness.StartAsync("20.1.0");

        Assert.Equal(new AriRoutes("20.1.0", AriCommandTransport.Http, AriVariableRoute.PerVariable), ari.Client.Routes);
    }

    [Fact]
    public async Task Connect_WithForcedOldRoutes_UsesHttpAndPerVariableSetsOn23_4_1()
    {
        await using var ari = await AriHarness.StartAsync("23.4.1", ForceOldRoutes);

        Assert.Equal(new AriRoutes("23.4.1", AriCommandTransport.Http, AriVariableRoute.PerVariable), ari.Client.Routes);
    }

    [Fact]
    public async Task Connect_WithWrongPassword_FailsWith401()
    {
        await using var simulator = new AriSimulator.AriSimulator();
        await simulator.StartAsync();
        await using var client = new AriClient(AriHarness.Settings(simulator) with { Password = "wrong" });

        var error = await Assert.ThrowsAsync<AriRequestException>(() => client.ConnectAsync());

        Assert.Equal(401, error.StatusCode);
        Assert.Equal(0, simulator.GetEventConnectionCount("convocore"));
    }

    [Fact]
    public async Task Connect_OpensExactlyOneEventConnectionForTheApplication()
    {
        await using var ari = await AriHarness.StartAsync();
        await ari.Simulator.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(AriHarness.Patience);
        await using var other = new AriClient(AriHarness.Settings(ari.Simulator) with { Application = "other-app" });
        await other.ConnectAsync();
        await ari.Simulator.WaitForEventConnectionCountAsync("other-app", 1).WaitAsync(AriHarness.Patience);

        Assert.Equal(1, ari.Simulator.GetEventConnectionCount("convocore"));
    }

    [Fact]
    public async Task StasisStart_ArrivesWithArgsAndChannel()
    {
        await using var ari = await AriHarness.StartAsync();

        var (call, start) = await ari.PlaceCallAsync("+15552000000", "+15551234567");

        Assert.Equal(["+15552000000"], start.Args);
        Assert.Equal("convocore", start.Application);
        Assert.Equal(call.ChannelName, start.Channel.Name);
        Assert.StartsWith("PJSIP/trunk-", start.Channel.Name);
        Assert.Equal("+15551234567", start.Channel.Caller.Number);
        Assert.Equal("from-trunk", start.Channel.Dialplan.Context);
        Assert.Equal("+15552000000", start.Channel.Dialplan.Exten);
        Assert.Equal("Stasis", start.Channel.Dialplan.AppName);
    }

    [Fact]
    public async Task SetVariables_WhenAskedTo_GoOverTheWebSocketLikeTheOtherCommands()
    {
        await using var ari = await AriHarness.StartAsync("23.4.1", s => s with { VariablesOverWebSocket = true });
        var (call, _) = await ari.PlaceCallAsync();

        await ari.Client.SetChannelVariablesAsync(call.ChannelId, new Dictionary<string, string> { ["CONVOCORE_AGENT_ID"] = "agent-1" });

        var command = Assert.Single(call.Commands);
        Assert.Equal(("websocket", $"channels/{call.ChannelId}/variables", 204), (command.Transport, command.Path, command.StatusCode));
        Assert.Equal("agent-1", call.Variables["CONVOCORE_AGENT_ID"]);
    }

    [Fact]
    public async Task SetVariables_OnNewServer_SendsOneBulkRequestOverHttpBesideTheWebSocket()
    {
        await using var ari = await AriHarness.StartAsync("23.4.1");
        var (call, _) = await ari.PlaceCallAsync();

        await ari.Client.SetChannelVariablesAsync(call.ChannelId,
            new Dictionary<string, string> { ["CONVOCORE_AGENT_ID"] = "agent-1", ["CONVOCORE_CALLER"] = "+15551234567" });

        var command = Assert.Single(call.Commands);
        // Over HTTP although commands use the WebSocket: Asterisk runs a WebSocket's requests one at a time (AriClient).
        Assert.Equal(("http", "POST", $"channels/{call.ChannelId}/variables", 204),
            (command.Transport, command.Method, command.Path, command.StatusCode));
        Assert.Empty(command.Query);
        using var body = JsonDocument.Parse(command.Body!);
        Assert.Equal("""{"CONVOCORE_AGENT_ID":"agent-1","CONVOCORE_CALLER":"+15551234567"}""",
            JsonSerializer.Serialize(body.RootElement.GetProperty("variables")).Replace("\\u002B", "+"));
        Assert.Equal(new Dictionary<string, string> { ["CONVOCORE_AGENT_ID"] = "agent-1", ["CONVOCORE_CALLER"] = "+15551234567" },
            call.Variables);
    }

    [Fact]
    public async Task SetVariables_OnOldServer_SendsOneHttpRequestPerVariableWithEncodedValues()
    {
        await using var ari = await AriHarness.StartAsync("20.1.0");
        var (call, _) = await ari.PlaceCallAsync();

        await ari.Client.SetChannelVariablesAsync(call.ChannelId,
            new Dictionary<string, string> { ["CONVOCORE_AGENT_ID"] = "agent 1&x=y", ["CONVOCORE_CALLER"] = "+15551234567" });

        var commands = call.Commands;
        Assert.Equal(2, commands.Count);
        Assert.All(commands, c => Assert.Equal(("http", "POST", $"channels/{call.ChannelId}/variable", 204),
            (c.Transport, c.Method, c.Path, c.StatusCode)));
        Assert.Equal(
            ["CONVOCORE_AGENT_ID=agent 1&x=y", "CONVOCORE_CALLER=+15551234567"],
            commands.Select(c => $"{c.QueryValue("variable")}={c.QueryValue("value")}").Order());
        Assert.All(commands, c => Assert.Equal(["variable", "value"], c.Query.Select(q => q.Key)));
        Assert.Equal("+15551234567", call.Variables["CONVOCORE_CALLER"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Continue_ArrivesWithContextExtensionPriority_AndChannelLeavesStasis(bool forceOldRoutes)
    {
        await using var ari = await AriHarness.StartAsync("23.4.1", forceOldRoutes ? ForceOldRoutes : null);
        var (call, _) = await ari.PlaceCallAsync();

        await ari.Client.ContinueAsync(call.ChannelId, "convocore-agent", "agent-7", 1);

        var command = Assert.Single(call.Commands);
        Assert.Equal((forceOldRoutes ? "http" : "websocket", "POST", $"channels/{call.ChannelId}/continue"),
            (command.Transport, command.Method, command.Path));
        Assert.Equal([new("context", "convocore-agent"), new("extension", "agent-7"), new("priority", "1")], command.Query);
        var outcome = await call.Outcome.WaitAsync(AriHarness.Patience);
        Assert.Equal((CallOutcomeKind.Continued, "convocore-agent", "agent-7", 1L),
            (outcome.Kind, outcome.Context, outcome.Extension, outcome.Priority));
        var end = await ari.NextEventAsync<StasisEnd>();
        Assert.Equal(call.ChannelId, end.Channel.Id);
    }

    [Theory]
    [InlineData("unallocated", 1, "Unallocated (unassigned) number")]
    [InlineData("congestion", 34, "Circuit/channel congestion")]
    [InlineData("normal", 16, "Normal Clearing")]
    public async Task Hangup_WithReason_EndsCallWithMatchingCause(string reason, int cause, string causeText)
    {
        await using var ari = await AriHarness.StartAsync();
        var (call, _) = await ari.PlaceCallAsync();

        await ari.Client.HangupAsync(call.ChannelId, reason);

        var command = Assert.Single(call.Commands);
        Assert.Equal(("DELETE", $"channels/{call.ChannelId}"), (command.Method, command.Path));
        Assert.Equal([new("reason", reason)], command.Query);
        var outcome = await call.Outcome.WaitAsync(AriHarness.Patience);
        Assert.Equal((CallOutcomeKind.HungUp, reason, cause), (outcome.Kind, outcome.HangupReason, outcome.Cause));
        await ari.NextEventAsync<StasisEnd>();
        var destroyed = await ari.NextEventAsync<ChannelDestroyed>();
        Assert.Equal((call.ChannelId, cause, causeText), (destroyed.Channel.Id, destroyed.Cause, destroyed.CauseText));
    }

    [Fact]
    public async Task Subscribe_BeforeContinue_DeliversChannelDestroyedWhenTheCallEnds()
    {
        await using var ari = await AriHarness.StartAsync();
        var (call, _) = await ari.PlaceCallAsync();

        await ari.Client.SubscribeAsync("convocore", $"channel:{call.ChannelId}");
        await ari.Client.ContinueAsync(call.ChannelId, "convocore-agent", "agent-7", 1);
        await ari.NextEventAsync<StasisEnd>();
        Assert.True(ari.Simulator.EndCall(call.ChannelId));

        var destroyed = await ari.NextEventAsync<ChannelDestroyed>();
        Assert.Equal((call.ChannelId, 16, "convocore-agent"), (destroyed.Channel.Id, destroyed.Cause, destroyed.Channel.Dialplan.Context));
        Assert.Equal([new("eventSource", $"channel:{call.ChannelId}")],
            ari.Simulator.Commands.Single(c => c.Path == "applications/convocore/subscription").Query);
    }

    [Fact]
    public async Task ContinuedCall_WithoutSubscription_EndsSilently()
    {
        await using var ari = await AriHarness.StartAsync();
        var first = (await ari.PlaceCallAsync()).Call;
        await ari.Client.ContinueAsync(first.ChannelId, "convocore-agent", "agent-7", 1);
        await ari.NextEventAsync<StasisEnd>();

        ari.Simulator.EndCall(first.ChannelId);
        await first.Ended.WaitAsync(AriHarness.Patience);
        var second = (await ari.PlaceCallAsync()).Call;

        Assert.NotEqual(first.ChannelId, second.ChannelId); // the next event after StasisEnd is the next call's StasisStart
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Command_OnChannelTheCallerHungUp_FailsWith404(bool forceOldRoutes)
    {
        await using var ari = await AriHarness.StartAsync("23.4.1", forceOldRoutes ? ForceOldRoutes : null);
        var (call, _) = await ari.PlaceCallAsync();
        ari.Simulator.EndCall(call.ChannelId);

        var error = await Assert.ThrowsAsync<AriRequestException>(
            () => ari.Client.ContinueAsync(call.ChannelId, "convocore-agent", "agent-7", 1));

        Assert.Equal(404, error.StatusCode);
        Assert.True(error.IsNotFound);
        Assert.Equal("Channel not found", error.ServerMessage);
        Assert.Equal(CallOutcomeKind.CallerHungUp, (await call.Outcome.WaitAsync(AriHarness.Patience)).Kind);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InjectedServerFailure_SurfacesAs500(bool forceOldRoutes)
    {
        await using var ari = await AriHarness.StartAsync("23.4.1", forceOldRoutes ? ForceOldRoutes : null);
        var (call, _) = await ari.PlaceCallAsync();
        ari.Simulator.FailNextCommands(1);

        var error = await Assert.ThrowsAsync<AriRequestException>(
            () => ari.Client.SetChannelVariablesAsync(call.ChannelId, new Dictionary<string, string> { ["A"] = "1" }));
        await ari.Client.SetChannelVariablesAsync(call.ChannelId, new Dictionary<string, string> { ["A"] = "2" });

        Assert.Equal(500, error.StatusCode);
        Assert.Equal("2", call.Variables["A"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetChannels_ListsTheLiveChannels(bool forceOldRoutes)
    {
        await using var ari = await AriHarness.StartAsync("23.4.1", forceOldRoutes ? ForceOldRoutes : null);
        var (first, _) = await ari.PlaceCallAsync();
        var (second, _) = await ari.PlaceCallAsync();
        ari.Simulator.EndCall(first.ChannelId);

        var channels = await ari.Client.GetChannelsAsync();

        var channel = Assert.Single(channels);
        Assert.Equal((second.ChannelId, second.ChannelName, "Ring"), (channel.Id, channel.Name, channel.State));
    }

    [Fact]
    public async Task SimulatorStopping_CompletesDisconnected_AndANewClientConnectsAfterRestartOnTheSamePort()
    {
        await using var ari = await AriHarness.StartAsync();
        var url = ari.Simulator.BaseUrl;

        await ari.Simulator.StopAsync();
        var disconnect = await ari.Client.Disconnected.WaitAsync(AriHarness.Patience);
        await ari.Simulator.StartAsync();
        await using var reconnected = new AriClient(AriHarness.Settings(ari.Simulator));
        await reconnected.ConnectAsync();
        await ari.Simulator.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(AriHarness.Patience);

        Assert.NotEqual("disposed", disconnect.Reason);
        Assert.Equal(url, ari.Simulator.BaseUrl);
        Assert.Equal(1, ari.Simulator.GetEventConnectionCount("convocore"));
        await ari.Client.Events.Completion.WaitAsync(AriHarness.Patience);
    }

    [Fact]
    public async Task DroppedWebSocket_FailsCommandsWaitingForTheirResponse()
    {
        await using var ari = await AriHarness.StartAsync("23.4.1");
        var (call, _) = await ari.PlaceCallAsync();
        ari.Simulator.ResponseDelay = TimeSpan.FromSeconds(30);

        var pending = ari.Client.ContinueAsync(call.ChannelId, "convocore-agent", "agent-7", 1);
        ari.Simulator.DropEventConnections();

        await Assert.ThrowsAsync<AriDisconnectedException>(() => pending.WaitAsync(AriHarness.Patience));
        Assert.Equal("connection lost", (await ari.Client.Disconnected.WaitAsync(AriHarness.Patience)).Reason);
        await Assert.ThrowsAsync<AriDisconnectedException>(() => ari.Client.HangupAsync(call.ChannelId));
    }

    [Fact]
    public async Task SecondConnectionForTheApplication_TakesTheEventsAndTheFirstIsToldApplicationReplaced()
    {
        await using var ari = await AriHarness.StartAsync();
        await using var second = new AriClient(AriHarness.Settings(ari.Simulator));
        await second.ConnectAsync();

        var replaced = await ari.NextEventAsync<ApplicationReplaced>();
        var call = ari.Simulator.PlaceCall("+15552000000", "+15551234567");
        var start = Assert.IsType<StasisStart>(await second.Events.ReadAsync().AsTask().WaitAsync(AriHarness.Patience));

        Assert.Equal("convocore", replaced.Application);
        Assert.Equal(call.ChannelId, start.Channel.Id);
        Assert.False(ari.Client.Events.TryRead(out _));
        Assert.Equal(2, ari.Simulator.GetEventConnectionCount("convocore"));
    }

    [Fact]
    public async Task DisposedClient_ClosesItsEventConnection()
    {
        await using var simulator = new AriSimulator.AriSimulator();
        await simulator.StartAsync();
        var client = new AriClient(AriHarness.Settings(simulator));
        await client.ConnectAsync();

        await simulator.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(AriHarness.Patience);

        await client.DisposeAsync();
        await simulator.WaitForEventConnectionCountAsync("convocore", 0).WaitAsync(AriHarness.Patience);
        var call = simulator.PlaceCall("+15552000000", "+15551234567");

        Assert.Equal(CallOutcomeKind.NotDelivered, (await call.Outcome.WaitAsync(AriHarness.Patience)).Kind);
    }
}
