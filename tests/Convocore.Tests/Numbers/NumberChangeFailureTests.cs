using System.Net;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Contracts.Workspaces;
using Convocore.Tests.Infrastructure;
using StackExchange.Redis;

namespace Convocore.Tests.Numbers;

/// <summary>A system whose sweeper looks only when a silo starts, so nothing settles a change behind a test's back.</summary>
public sealed class SweepAtStartSystem : ConvocoreSystem
{
    protected override string ReconcileIntervalSeconds => "3600";
}

/// <summary>
/// A number change that fails after its commit point and cannot be settled at once (Redis crashed under it): the
/// workspace keeps it pending, and what it does next must take it into account.
/// </summary>
public sealed class NumberChangeFailureTests(SweepAtStartSystem system) : IClassFixture<SweepAtStartSystem>
{
    private const string PendingWorkspaces = "convocore:pending-workspaces";

    [Fact]
    public async Task An_agent_or_a_trunk_whose_number_add_is_still_pending_cannot_be_deleted()
    {
        var s = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await FailAfterCommitPoint(s, number);

        (await Answered(() => s.Api.Delete($"/api/agents/{s.AgentId}"))).AssertProblem(HttpStatusCode.Conflict, "Agent still answers 1 number: reassign or delete them first");
        Assert.Equal(s.AgentId, (await system.Client.GetGrain<IPhoneNumberGrain>(number).GetAssignment())!.AgentId);

        var other = await NumberSetup.Create(system);
        var held = TestNumbers.Next();
        await FailAfterCommitPoint(other, held);

        (await Answered(() => other.Api.Delete($"/api/trunks/{other.TrunkId}"))).AssertProblem(HttpStatusCode.Conflict, "Trunk still holds 1 number: delete them first");
        Assert.Equal(other.TrunkId, (await system.Client.GetGrain<IPhoneNumberGrain>(held).GetAssignment())!.TrunkId);
    }

    [Fact]
    public async Task After_a_settled_failure_the_next_change_is_marked_again_so_the_sweeper_finds_it_after_a_crash()
    {
        var s = await NumberSetup.Create(system);
        var failed = TestNumbers.Next();
        await FailAfterCommitPoint(s, failed);
        // What the sweeper does: the failed change is settled and the workspace unmarked.
        await Eventually.True(async () =>
        {
            await system.Client.GetGrain<IWorkspaceGrain>(s.Workspace.Id).Reconcile();
            return true;
        }, "the workspace reconciles once Redis is back");
        using var redis = await ConnectionMultiplexer.ConnectAsync(system.Redis.ConnectionString);
        Assert.False(await redis.GetDatabase().SetContainsAsync(PendingWorkspaces, s.Workspace.Id));
        Assert.Equal([failed], await s.ListedNumbers());

        // The next change dies at its commit point with every silo; nobody touches the workspace afterwards.
        var next = TestNumbers.Next();
        foreach (var probe in system.Probes) probe.HoldNumber = next;
        var inFlight = Task.Run(() => s.Add(next));
        await Task.WhenAny(system.Probes.Select(p => p.Reached)).WaitAsync(TimeSpan.FromSeconds(60));
        await system.CrashAndRestartClusterAsync();

        var trunk = system.Client.GetGrain<ITrunkGrain>(Ids.Scoped(s.Workspace.Id, s.TrunkId));
        await Eventually.True(async () => (await trunk.ListNumbers(null, 100))!.Items.Any(n => n.PhoneNumber == next),
            "the sweeper of the new cluster finishes the interrupted add", 30);
        _ = inFlight.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>
    /// Holds the add of <paramref name="number"/> at its commit point, crashes Redis, lets the add go on (its list update
    /// fails, and so does settling it), then starts Redis again from its append-only file.
    /// </summary>
    private async Task FailAfterCommitPoint(NumberSetup s, string number)
    {
        var probes = system.Probes.ToArray();
        foreach (var probe in probes) probe.HoldNumber = number;
        try
        {
            var inFlight = Task.Run(() => s.Add(number));
            await Task.WhenAny(probes.Select(p => p.Reached)).WaitAsync(TimeSpan.FromSeconds(60));
            system.Redis.Crash();
            foreach (var probe in probes) probe.Release();
            var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True((int)response.Status >= 500, $"the add failed: {response}");
        }
        finally
        {
            foreach (var probe in probes) probe.HoldNumber = null;
            await system.Redis.StartAgainAsync();
        }
    }

    /// <summary>The first answer that is not a server error: the silos reconnect to Redis a moment after it is back.</summary>
    private static async Task<ApiResponse> Answered(Func<Task<ApiResponse>> request)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var response = await request();
            if ((int)response.Status < 500 || DateTime.UtcNow > deadline) return response;
            await Task.Delay(200);
        }
    }
}
