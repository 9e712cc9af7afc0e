using System.Net;
using Convocore.Tests.Infrastructure;
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
        var duringPause = requests.Where(r => r.Started >= paused && r.Started < resumed).ToArray();
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
        var ended = await load.AssertEveryCallEnded(TimeSpan.FromSeconds(30));
        output.WriteLine($"{load.Calls.Count} calls: " + string.Join(", ", ended.Select(e => $"{e.Value} {e.Key}")));
        var (known, unknown) = await Settling.Within(TimeSpan.FromSeconds(15), load.AssertFinalStateMatchesWhatWasAcknowledged);
        output.WriteLine($"final state: {known} numbers as last acknowledged, {unknown} whose last request failed (consistent either way)");
        Assert.Equal(3, (await system.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count);
    }

    private async Task<LoadWorkspace[]> Workspaces() =>
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => LoadWorkspace.Create(system, i % 2 == 0 ? "Free" : "Pro", 12)));
}
