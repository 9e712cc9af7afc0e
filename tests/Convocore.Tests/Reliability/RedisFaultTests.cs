using System.Net;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Convocore.Tests.Routing;
using Xunit.Abstractions;

namespace Convocore.Tests.Reliability;

/// <summary>Three silos on the ARI simulator: each test breaks Redis, so each gets a system of its own.</summary>
internal sealed class ThreeSiloRoutingSystem : RoutingSystem
{
    protected override short InitialSilos => 3;
}

/// <summary>
/// The real redis-server frozen (SIGSTOP) or killed (SIGKILL) under mixed load: number adds, reassigns and deletes
/// through the real HTTP API from several workspaces at once, and calls through the ARI simulator.
/// </summary>
public sealed class RedisFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan CallInterval = TimeSpan.FromMilliseconds(50);
    private readonly ThreeSiloRoutingSystem system = new();

    public Task InitializeAsync() => system.InitializeAsync();
    public Task DisposeAsync() => system.DisposeAsync();

    [Fact]
    public async Task While_Redis_is_paused_the_API_answers_503_with_Retry_After_and_serves_again_within_5_seconds()
    {
        var load = MixedLoad.Start(await Workspaces(), system.Asterisk, CallInterval);
        await Task.Delay(TimeSpan.FromSeconds(3));

        system.Redis.Pause();
        var paused = load.Now;
        await Task.Delay(TimeSpan.FromSeconds(10));
        system.Redis.Resume();
        var resumed = load.Now;
        await Task.Delay(TimeSpan.FromSeconds(8));
        await load.StopAsync();

        var requests = load.Requests;
        // In flight at some time while Redis was frozen.
        var duringPause = requests.Where(r => r.Started < resumed && r.Started + r.Took > paused).ToArray();
        var slowest = requests.MaxBy(r => r.Took)!;
        var failedAfter = requests.Where(r => !r.Acknowledged && r.Response?.Status is not (HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Conflict)
                                              && r.Started >= resumed).ToArray();
        var lastFailed = failedAfter.MaxBy(r => r.Started);
        output.WriteLine($"{requests.Count} requests, {requests.Count(r => r.Acknowledged)} acknowledged; during the pause {duringPause.Length} sent, " +
                         $"{duringPause.Count(r => r.Unavailable)} answered 503, {duringPause.Count(r => r.Acknowledged)} acknowledged; slowest {slowest}");
        output.WriteLine(lastFailed is null
            ? "no request sent after Redis came back failed"
            : $"the last request that failed was sent {(lastFailed.Started - resumed).TotalSeconds:F1} s after Redis came back: {lastFailed}");
        foreach (var r in requests.Where(r => !r.Acknowledged).Take(20)) output.WriteLine(r.ToString());

        load.AssertEveryAnswerIsExpectedOrUnavailable();
        Assert.Contains(duringPause, r => r.Unavailable);
        // Each storage step waits at most Redis' 5 s timeout, each grain call at most Orleans' 30 s response timeout.
        Assert.True(slowest.Took < TimeSpan.FromSeconds(30), $"a request took {slowest.Took.TotalSeconds:F1} s: {slowest}");
        Assert.True(lastFailed is null || lastFailed.Started - resumed < TimeSpan.FromSeconds(5),
            $"a request sent 5 s or more after Redis came back failed: {lastFailed}");
        var ended = await load.AssertEveryCallEnded(TimeSpan.FromSeconds(30));
        output.WriteLine($"{load.Calls.Count} calls: " + string.Join(", ", ended.Select(e => $"{e.Value} {e.Key}")));
        var (known, unknown) = await Settling.Within(TimeSpan.FromSeconds(15), load.AssertFinalStateMatchesWhatWasAcknowledged);
        output.WriteLine($"final state: {known} numbers as last acknowledged, {unknown} whose last request failed (consistent either way)");
        Assert.Equal(3, (await system.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count);
    }

    [Fact]
    public async Task After_Redis_is_killed_and_restarted_from_its_append_only_file_no_acknowledged_write_is_lost()
    {
        var load = MixedLoad.Start(await Workspaces(), system.Asterisk, CallInterval);
        await Task.Delay(TimeSpan.FromSeconds(3));

        system.Redis.Crash();
        var killed = load.Now;
        // Down long enough for every client to notice, as when its machine reboots the service.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await system.Redis.StartAgainAsync();
        var restarted = load.Now;
        await Task.Delay(TimeSpan.FromSeconds(8));
        await load.StopAsync();

        var requests = load.Requests;
        var lastFailed = requests.Where(r => !r.Acknowledged && r.Response?.Status is not (HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Conflict))
            .MaxBy(r => r.Started);
        output.WriteLine($"Redis killed at {killed.TotalSeconds:F1} s, answering again at {restarted.TotalSeconds:F1} s; {requests.Count} requests, " +
                         $"{requests.Count(r => r.Acknowledged)} acknowledged, {requests.Count(r => r.Unavailable)} answered 503; slowest {requests.MaxBy(r => r.Took)}");
        output.WriteLine(lastFailed is null
            ? "no request failed"
            : $"the last request that failed was sent {(lastFailed.Started - restarted).TotalSeconds:F1} s after Redis answered again: {lastFailed}");

        load.AssertEveryAnswerIsExpectedOrUnavailable();
        var ended = await load.AssertEveryCallEnded(TimeSpan.FromSeconds(30));
        output.WriteLine($"{load.Calls.Count} calls: " + string.Join(", ", ended.Select(e => $"{e.Value} {e.Key}")));
        var (known, unknown) = await Settling.Within(TimeSpan.FromSeconds(15), load.AssertFinalStateMatchesWhatWasAcknowledged);
        output.WriteLine($"final state: {known} numbers as last acknowledged (0 lost), {unknown} whose last request failed (consistent either way)");
        Assert.True(lastFailed is null || lastFailed.Started - restarted < TimeSpan.FromSeconds(5),
            $"a request sent 5 s or more after Redis was back failed: {lastFailed}");
        Assert.Equal(3, (await system.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count);
    }

    [Fact]
    public async Task A_number_claim_that_timed_out_while_Redis_was_paused_and_landed_afterwards_is_read_back_from_Redis()
    {
        var setup = await NumberSetup.Create(system);
        var number = system.Client.GetGrain<IPhoneNumberGrain>(TestNumbers.Next());
        Assert.Null(await number.GetAssignment());
        var now = DateTimeOffset.UtcNow;
        var claim = new NumberAssignment(setup.Workspace.Id, setup.TrunkId, setup.AgentId, Region.NA, null, now, now, Guid.NewGuid());

        system.Redis.Pause();
        Exception? failure;
        try
        {
            // The write reaches the frozen server and times out; Redis applies it once thawed.
            failure = await Record.ExceptionAsync(() => number.Claim(claim));
        }
        finally
        {
            system.Redis.Resume();
        }

        Assert.IsType<StorageUnavailableException>(failure);
        Assert.Equal(claim.OperationId, (await number.GetAssignment())?.OperationId);
    }

    private async Task<LoadWorkspace[]> Workspaces() =>
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => LoadWorkspace.Create(system, i % 2 == 0 ? "Free" : "Pro", 12)));
}
