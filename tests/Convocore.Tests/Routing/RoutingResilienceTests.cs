using System.Net;
using Orleans.TestingHost;
using Microsoft.Extensions.DependencyInjection;
using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Routing;

/// <summary>Each test breaks the connection on purpose, so each gets a system of its own.</summary>
public sealed class RoutingResilienceTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly RoutingSystem system = new();

    public Task InitializeAsync() => system.InitializeAsync();
    public Task DisposeAsync() => system.DisposeAsync();

    [Fact]
    public async Task After_Asterisk_restarts_the_silo_reconnects_by_itself_and_routes_the_next_call()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        await system.Asterisk.StopAsync();
        await system.Asterisk.StartAsync();
        await system.Asterisk.WaitForEventConnectionCountAsync(RoutingSystem.Application, 1).WaitAsync(Patience);

        var outcome = await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal(setup.AgentId, outcome.Extension);
    }

    [Fact]
    public async Task When_another_client_takes_the_app_health_says_so_and_the_silo_takes_it_back_after_a_backoff()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var connection = system.Client.GetGrain<IAsteriskConnectionGrain>(0);

        // Another ARI client registers our application name, as a second deployment with the same ari.conf user would.
        using var intruder = new System.Net.WebSockets.ClientWebSocket();
        intruder.Options.SetRequestHeader("Authorization",
            "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("convocore:ari-secret")));
        await intruder.ConnectAsync(new Uri($"ws://{system.Asterisk.BaseUrl.Authority}/ari/events?app={RoutingSystem.Application}"),
            CancellationToken.None);

        // The silo waits 1 s before it takes the app back: health is read while it waits.
        await Eventually.True(async () =>
        {
            var health = (await system.OperatorHealthAsync())["checks"]!["asterisk"]!;
            return health["status"]!.GetValue<string>() != "Healthy" && health["data"]!["sim-na"]!.GetValue<string>().StartsWith("Replaced");
        }, "health says the app was replaced", seconds: 10);

        // After the backoff the silo registers the app again (the intruder is the one replaced now) and routes calls.
        await Eventually.True(async () => (await connection.Ensure()).State == AsteriskConnectionState.Connected,
            "the silo took the app back", seconds: 15);
        var outcome = await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal(setup.AgentId, outcome.Extension);
    }

    [Fact]
    public async Task A_connection_made_while_Redis_is_paused_routes_new_calls_without_waiting_for_the_open_calls_it_reads_from_Redis()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(CallOutcomeKind.Continued, (await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(Patience)).Kind);

        system.Redis.Pause();
        try
        {
            system.Asterisk.DropEventConnections();
            // Long enough for the silo to connect again (200 ms backoff): the call below reaches the new connection
            // through its StasisStart, not as a channel adopted at connect time.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Equal(1, system.Asterisk.GetEventConnectionCount(RoutingSystem.Application));
            // Reading the open calls waits for Redis (a 5 s timeout); the call must not wait for that read.
            var outcome = await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(TimeSpan.FromSeconds(3));
            Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        }
        finally
        {
            system.Redis.Resume();
        }
    }

    [Fact]
    public async Task A_channel_left_waiting_in_Stasis_by_a_lost_connection_is_routed_once_the_silo_reconnects()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        var stranded = system.Asterisk.StrandCallInStasis(number, "+15550001111");

        var outcome = await stranded.Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
        Assert.Equal(setup.AgentId, outcome.Extension);
        Assert.Equal(number, outcome.Variables["CONVOCORE_NUMBER"]);
        Assert.Single(stranded.Commands, c => c.Path.EndsWith("/continue"));
    }

    [Fact]
    public async Task When_the_silo_holding_the_connection_stops_another_silo_takes_it_over()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var owner = (await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure()).Silo;
        var ownerSilo = system.Cluster.Silos.Single(s => s.SiloAddress.ToString() == owner);

        await system.Cluster.StopSiloAsync(ownerSilo);

        await Eventually.True(async () =>
        {
            var status = await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure();
            return status.Silo != owner && status.State == AsteriskConnectionState.Connected;
        }, "a surviving silo holds the connection");
        Assert.Equal(1, system.Asterisk.GetEventConnectionCount(RoutingSystem.Application));
        var outcome = await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(Patience);
        Assert.Equal(CallOutcomeKind.Continued, outcome.Kind);
    }

    [Fact]
    public async Task When_the_silo_holding_the_connection_crashes_another_silo_takes_it_over()
    {
        var owner = (await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure()).Silo;
        var ownerSilo = system.Cluster.Silos.Single(s => s.SiloAddress.ToString() == owner);

        await system.Cluster.KillSiloAsync(ownerSilo);

        await Eventually.True(async () =>
        {
            var status = await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure();
            return status.Silo != owner && status.State == AsteriskConnectionState.Connected;
        }, "a surviving silo holds the connection");
        Assert.Equal(1, system.Asterisk.GetEventConnectionCount(RoutingSystem.Application));
    }

    [Fact]
    public async Task A_call_whose_silo_crashes_mid_call_is_recorded_with_its_real_end_by_the_silo_that_takes_over()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var call = system.Asterisk.PlaceCall(number, "+15550001111");
        Assert.Equal(CallOutcomeKind.Continued, (await call.Outcome.WaitAsync(Patience)).Kind);
        var owner = (await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure()).Silo;
        var ownerSilo = system.Cluster.Silos.OfType<InProcessSiloHandle>().Single(s => s.SiloAddress.ToString() == owner);
        var recorder = ownerSilo.SiloHost.Services.GetRequiredService<CallRecorder>();
        await Eventually.True(async () => (await recorder.OpenCalls("sim-na")).Any(c => c.ChannelId == call.ChannelId),
            "the routed call is open in Redis");

        await system.Cluster.KillSiloAsync(ownerSilo);
        await Eventually.True(async () =>
        {
            var status = await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure();
            return status.Silo != owner && status.State == AsteriskConnectionState.Connected;
        }, "a surviving silo holds the connection");
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // the survivor reads the open calls right after connecting
        Assert.True(system.Asterisk.EndCall(call.ChannelId));

        var recorded = await system.RecordedCall(call.ChannelId);
        Assert.Equal(Contracts.Routing.CallOutcome.Routed, recorded.Outcome);
        Assert.Equal((setup.Workspace.Id, setup.AgentId, number), (recorded.WorkspaceId, recorded.AgentId, recorded.PhoneNumber));
        Assert.NotNull(recorded.EndedAt);
        Assert.Equal("Normal Clearing", recorded.EndCause);
        Assert.InRange(recorded.DurationSeconds!.Value, 0.5, 60);
        var survivor = system.Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services.GetRequiredService<CallRecorder>();
        await Eventually.True(async () => (await survivor.OpenCalls("sim-na")).All(c => c.ChannelId != call.ChannelId),
            "the call is no longer open");
    }

    [Fact]
    public async Task A_reassignment_made_while_a_crashed_silo_is_not_yet_declared_dead_is_acknowledged_and_reaches_the_next_call()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var newAgent = await setup.Workspace.CreateAgent("Sales");
        Assert.Equal(setup.AgentId, (await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(Patience)).Extension);
        var owner = (await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure()).Silo;
        var other = system.Cluster.Silos.Single(s => s.SiloAddress.ToString() != owner);

        // Membership still lists the crashed silo as active for a few seconds: its table cannot confirm, and must not stall the change.
        await system.Cluster.KillSiloAsync(other);
        var path = $"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}";
        var reassigned = await setup.Api.Patch(path, new { agentId = newAgent });
        // The web app's gateway may have been the crashed silo: a client retries until the cluster answers.
        for (var retry = 0; retry < 10 && reassigned.Status >= HttpStatusCode.InternalServerError; retry++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            reassigned = await setup.Api.Patch(path, new { agentId = newAgent });
        }

        Assert.Equal(HttpStatusCode.OK, reassigned.Status);
        var outcome = await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(Patience);
        Assert.Equal((CallOutcomeKind.Continued, newAgent), (outcome.Kind, outcome.Extension));
    }

    [Fact]
    public async Task When_a_silo_is_declared_dead_the_survivors_routing_table_starts_afresh_and_calls_still_route()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(CallOutcomeKind.Continued, (await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(Patience)).Kind);
        var owner = (await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure()).Silo;
        var survivor = system.Cluster.Silos.OfType<InProcessSiloHandle>().Single(s => s.SiloAddress.ToString() == owner);
        var table = survivor.SiloHost.Services.GetRequiredService<RoutingTable>();
        Assert.True(table.Count > 0);

        // A change whose grain lived on the crashed silo may have been stored without every table hearing of it.
        await system.Cluster.KillSiloAsync(system.Cluster.Silos.Single(s => s.SiloAddress.ToString() != owner));

        await Eventually.True(() => Task.FromResult(table.Count == 0), "the survivor's routing table is emptied");
        var outcome = await system.Asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(Patience);
        Assert.Equal((CallOutcomeKind.Continued, setup.AgentId), (outcome.Kind, outcome.Extension));
    }

    [Fact]
    public async Task A_command_that_fails_on_our_side_releases_the_caller_with_congestion_and_records_it()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        system.Asterisk.FailNextCommands(1);
        var call = system.Asterisk.PlaceCall(number, "+15550001111");
        var outcome = await call.Outcome.WaitAsync(Patience);

        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        Assert.Equal("congestion", outcome.HangupReason);
        var recorded = await system.RecordedCall(call.ChannelId);
        Assert.Equal(Contracts.Routing.CallOutcome.Failed, recorded.Outcome);
        Assert.Equal("internal", recorded.FailureReason);
    }
}
