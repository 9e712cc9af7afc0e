using System.Net;
using Convocore.AriSimulator;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Silo.Routing;
using Convocore.Tests.Numbers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Convocore.Tests.Routing;

/// <summary>
/// The silo-local routing table on a cluster of two silos: warm calls make no grain call, and every change reaches the
/// table of every silo before the API acknowledges it.
/// </summary>
public sealed class RoutingTableTests(RoutingSystem system) : IClassFixture<RoutingSystem>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private IReadOnlyList<RoutingTable> Tables =>
        system.Cluster.Silos.OfType<InProcessSiloHandle>().Select(s => s.SiloHost.Services.GetRequiredService<RoutingTable>()).ToArray();

    private async Task<CallOutcome> Call(string dialed) =>
        await system.Asterisk.PlaceCall(dialed, "+15550001234").Outcome.WaitAsync(Patience);

    private long LookupCalls() =>
        system.GrainCalls<IPhoneNumberGrain>(nameof(IPhoneNumberGrain.GetAssignment))
        + system.GrainCalls<IAgentGrain>(nameof(IAgentGrain.UnavailableReason))
        + system.GrainCalls<ITrunkGrain>(nameof(ITrunkGrain.Routing));

    /// <summary>Routes each number on every silo's table, so every silo holds the entries a change must reach.</summary>
    private async Task WarmEveryTable(IEnumerable<string> numbers)
    {
        foreach (var table in Tables)
            foreach (var number in numbers)
                await table.Route(number, null);
    }

    /// <summary>What the table of each silo decides now, answered from memory (a miss would not complete at once).</summary>
    private static RouteDecision FromMemory(RoutingTable table, string number)
    {
        var decision = table.Route(number, null);
        Assert.True(decision.IsCompletedSuccessfully, $"{number} should be decided from the table without a grain call");
        return decision.Result;
    }

    [Fact]
    public async Task A_warm_call_is_decided_from_the_silos_table_without_a_grain_call()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        Assert.Equal(CallOutcomeKind.Continued, (await Call(number)).Kind); // the first call fills the table

        var before = LookupCalls();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Call(number)));

        Assert.All(outcomes, o => Assert.Equal((CallOutcomeKind.Continued, setup.AgentId), (o.Kind, o.Extension)));
        Assert.Equal(before, LookupCalls());
    }

    [Fact]
    public async Task Numbers_reassigned_and_deleted_in_parallel_are_seen_by_every_silos_table_once_the_API_answers()
    {
        var setup = await NumberSetup.Create(system, "Pro");
        var numbers = TestNumbers.Next(40);
        await Task.WhenAll(numbers.Select(n => setup.AddOk(n)));
        var newAgent = await setup.Workspace.CreateAgent("Sales");
        await WarmEveryTable(numbers);
        Assert.Equal(2, Tables.Count);
        foreach (var table in Tables)
            Assert.All(numbers, n => Assert.Equal(setup.AgentId, FromMemory(table, n).Number?.AgentId));
        var (reassigned, deleted) = (numbers[..20], numbers[20..]);

        var answers = await Task.WhenAll(
            reassigned.Select(n => setup.Api.Patch($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(n)}", new { agentId = newAgent }))
                .Concat(deleted.Select(n => setup.Api.Delete($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(n)}"))));

        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.OK or HttpStatusCode.NoContent, a.ToString()));
        foreach (var table in Tables)
        {
            foreach (var n in reassigned) Assert.Equal(newAgent, (await table.Route(n, null)).Number?.AgentId);
            foreach (var n in deleted) Assert.Equal(CallFailure.Unallocated, (await table.Route(n, null)).Failure);
        }
        var calls = await Task.WhenAll(numbers.Select(Call));
        Assert.All(calls[..20], o => Assert.Equal((CallOutcomeKind.Continued, newAgent), (o.Kind, o.Extension)));
        Assert.All(calls[20..], o => Assert.Equal((CallOutcomeKind.HungUp, "unallocated"), (o.Kind, o.HangupReason)));
    }

    [Fact]
    public async Task An_agent_or_trunk_change_is_seen_by_every_silos_table_once_the_API_answers()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        await WarmEveryTable([number]);
        Assert.All(Tables, t => Assert.Null(FromMemory(t, number).HangupReason));

        var agentOff = await setup.Api.Put($"/api/agents/{setup.AgentId}", new { title = "Receptionist", voiceEnabled = false, voice = (object?)null });
        Assert.Equal(HttpStatusCode.OK, agentOff.Status);
        foreach (var table in Tables) Assert.Equal(CallFailure.AgentUnavailable, (await table.Route(number, null)).Failure);

        var agentOn = await setup.Api.Put($"/api/agents/{setup.AgentId}", new
        {
            title = "Receptionist", voiceEnabled = true, voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" },
        });
        Assert.Equal(HttpStatusCode.OK, agentOn.Status);
        var trunkOff = await setup.Api.Put($"/api/trunks/{setup.TrunkId}", new { name = "Twilio", region = "NA", active = false, defaultCountry = (string?)null });
        Assert.Equal(HttpStatusCode.OK, trunkOff.Status);
        foreach (var table in Tables) Assert.Equal(CallFailure.TrunkInactive, (await table.Route(number, null)).Failure);
        Assert.Equal("rejected", (await Call(number)).HangupReason);

        var trunkOn = await setup.Api.Put($"/api/trunks/{setup.TrunkId}", new { name = "Twilio", region = "NA", active = true, defaultCountry = (string?)null });
        Assert.Equal(HttpStatusCode.OK, trunkOn.Status);
        Assert.Equal(CallOutcomeKind.Continued, (await Call(number)).Kind);
        foreach (var table in Tables) Assert.Null((await table.Route(number, null)).HangupReason);
    }

    [Fact]
    public async Task Calls_placed_while_a_number_is_reassigned_again_and_again_always_reach_the_last_acknowledged_agent()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        var background = TestNumbers.Next();
        await setup.AddOk(number);
        await setup.AddOk(background);
        string[] agents = [setup.AgentId, await setup.Workspace.CreateAgent("Sales")];

        // Other calls keep the Stasis app busy all the while.
        using var stop = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Call(background)));
        });
        for (var round = 1; round <= 30; round++)
        {
            var agent = agents[round % 2];
            var reassigned = await setup.Api.Patch($"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}", new { agentId = agent });
            Assert.Equal(HttpStatusCode.OK, reassigned.Status);

            var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Call(number)));

            Assert.All(outcomes, o => Assert.True(o.Extension == agent, $"round {round}: a call after the reassignment to {agent} reached {o.Extension}"));
        }
        await stop.CancelAsync();
        await load;
    }
}
