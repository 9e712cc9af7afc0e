using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Convocore.AriSimulator;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Infrastructure;

/// <summary>One API request of a load: what was asked, when (on the load's clock), and what came back.</summary>
internal sealed record LoadRequest(string WorkspaceId, string Operation, string PhoneNumber, TimeSpan Started, TimeSpan Took,
    ApiResponse? Response, Exception? Error)
{
    public bool Acknowledged => Response is { Status: >= HttpStatusCode.OK and < HttpStatusCode.MultipleChoices };

    /// <summary>Answered 503 problem details with a Retry-After, as the API does while storage or the cluster is away.</summary>
    public bool Unavailable => Response is { Status: HttpStatusCode.ServiceUnavailable, ContentType: "application/problem+json", RetryAfter: not null };

    public override string ToString() =>
        $"{Operation} {PhoneNumber} at {Started.TotalSeconds:F1} s took {Took.TotalSeconds:F1} s: {(object?)Response ?? Error?.GetType().Name + " " + Error?.Message}";
}

/// <summary>A call placed during a load, and when.</summary>
internal sealed record LoadCall(SimulatedCall Call, TimeSpan Placed);

/// <summary>
/// A workspace with two agents, one trunk and a pool of numbers of its own, and what the load knows of each number:
/// absent, present with an agent, or unknown (its last request failed, so the change may or may not have landed). A
/// number's requests go one at a time, so the last acknowledged one is the truth until the next request.
/// </summary>
internal sealed class LoadWorkspace
{
    private readonly Dictionary<string, (bool Present, string? AgentId)?> known = new(StringComparer.Ordinal);

    private LoadWorkspace(NumberSetup setup, string otherAgentId, int? limit, string[] pool)
    {
        Setup = setup;
        AgentIds = [setup.AgentId, otherAgentId];
        Limit = limit;
        Pool = pool;
        foreach (var number in pool) known[number] = (false, null);
    }

    public NumberSetup Setup { get; }
    public string Id => Setup.Workspace.Id;
    public string[] AgentIds { get; }
    public int? Limit { get; }
    public string[] Pool { get; }

    public static async Task<LoadWorkspace> Create(ConvocoreSystem system, string plan, int poolSize) =>
        await Create(system.WebAddress, plan, poolSize);

    public static async Task<LoadWorkspace> Create(Uri web, string plan, int poolSize)
    {
        var workspace = await ApiClient.CreateWorkspace(web, plan, "Fault load");
        var agentId = await workspace.CreateAgent("First");
        var otherAgentId = await workspace.CreateAgent("Second");
        var trunkId = await workspace.CreateTrunk();
        int? limit = plan switch { "Free" => 5, "Pro" => 50, _ => null };
        return new LoadWorkspace(new NumberSetup(workspace, trunkId, agentId), otherAgentId, limit, TestNumbers.Next(poolSize));
    }

    /// <summary>What the load knows of a number: null when its last request failed.</summary>
    public (bool Present, string? AgentId)? Known(string number) { lock (known) return known[number]; }

    public void Learn(string number, (bool Present, string? AgentId)? what) { lock (known) known[number] = what; }

    public string Path(string number) => $"/api/trunks/{Setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}";
}

/// <summary>
/// Mixed load through the real HTTP API and the ARI simulator: every workspace has a worker that adds, reassigns and
/// deletes its numbers one request at a time (so the workspaces' requests interleave, a number's do not), and a caller
/// dials the workspaces' numbers. Everything asked and answered is written down, to check against the final state.
/// </summary>
internal sealed class MixedLoad
{
    private readonly ConcurrentQueue<LoadRequest> requests = new();
    private readonly ConcurrentQueue<LoadCall> calls = new();
    private readonly CancellationTokenSource stop = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly List<Task> running = [];

    private MixedLoad(IReadOnlyList<LoadWorkspace> workspaces) => Workspaces = workspaces;

    public IReadOnlyList<LoadWorkspace> Workspaces { get; }
    public IReadOnlyList<LoadRequest> Requests => requests.ToArray();
    public IReadOnlyList<LoadCall> Calls => calls.ToArray();

    /// <summary>The load's clock: request and call times are read on it.</summary>
    public TimeSpan Now => clock.Elapsed;

    /// <param name="callInterval">How often a call is placed; null places none.</param>
    public static MixedLoad Start(IReadOnlyList<LoadWorkspace> workspaces, AriSimulator.AriSimulator? asterisk, TimeSpan? callInterval)
    {
        var load = new MixedLoad(workspaces);
        foreach (var workspace in workspaces) load.running.Add(Task.Run(() => load.Work(workspace)));
        if (asterisk is not null && callInterval is { } interval) load.running.Add(Task.Run(() => load.Dial(asterisk, interval)));
        return load;
    }

    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await Task.WhenAll(running);
    }

    private async Task Work(LoadWorkspace workspace)
    {
        var random = new Random(workspace.Id.GetHashCode());
        while (!stop.IsCancellationRequested)
        {
            var number = workspace.Pool[random.Next(workspace.Pool.Length)];
            var what = workspace.Known(number);
            var request = what is { Present: true } ? (random.Next(2) == 0 ? "reassign" : "delete") : "add";
            var agentId = request == "reassign" && what!.Value.AgentId is { } current
                ? workspace.AgentIds.First(a => a != current)
                : workspace.AgentIds[random.Next(2)];
            var started = clock.Elapsed;
            ApiResponse? response = null;
            Exception? error = null;
            try
            {
                response = request switch
                {
                    "add" => await workspace.Setup.Add(number, agentId),
                    "reassign" => await workspace.Setup.Api.Patch(workspace.Path(number), new { agentId }),
                    _ => await workspace.Setup.Api.Delete(workspace.Path(number)),
                };
            }
            catch (Exception ex)
            {
                error = ex;
            }
            requests.Enqueue(new LoadRequest(workspace.Id, request, number, started, clock.Elapsed - started, response, error));
            workspace.Learn(number, (request, response?.Status) switch
            {
                ("add", HttpStatusCode.Created) or ("reassign", HttpStatusCode.OK) => (true, agentId),
                // Already there: the earlier add that failed did land.
                ("add", HttpStatusCode.Conflict) => (true, null),
                // The plan's limit is checked only for a number nobody holds.
                ("add", HttpStatusCode.Forbidden) or ("reassign" or "delete", HttpStatusCode.NotFound) or ("delete", HttpStatusCode.NoContent) => (false, null),
                _ => null,
            });
            // A short breath, so that the load leaves the busy machine some room and errors do not spin.
            await Task.Delay(response?.Status == HttpStatusCode.ServiceUnavailable || error is not null ? 100 : 10);
        }
    }

    private async Task Dial(AriSimulator.AriSimulator asterisk, TimeSpan interval)
    {
        var random = new Random(7);
        while (!stop.IsCancellationRequested)
        {
            var workspace = Workspaces[random.Next(Workspaces.Count)];
            var number = workspace.Pool[random.Next(workspace.Pool.Length)];
            calls.Enqueue(new LoadCall(asterisk.PlaceCall(number, "+15550001111"), clock.Elapsed));
            try { await Task.Delay(interval, stop.Token); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>
    /// Every answer is one the API gives on a good day (2xx, or the 403, 404 and 409 the requests can meet) or 503 problem
    /// details with Retry-After; none is a 500, none went unanswered.
    /// </summary>
    public void AssertEveryAnswerIsExpectedOrUnavailable()
    {
        var unexpected = Requests.Where(r => !r.Acknowledged && !r.Unavailable
                                             && r.Response?.Status is not (HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Conflict))
            .ToArray();
        Assert.True(unexpected.Length == 0, $"{unexpected.Length} unexpected answers, e.g.:\n" + string.Join("\n", unexpected.Take(10)));
        var refusedAsUnavailable = Requests.Where(r => r.Unavailable && r.Response!.Detail is not { Length: > 0 }).ToArray();
        Assert.True(refusedAsUnavailable.Length == 0, "a 503 without a detail: " + refusedAsUnavailable.FirstOrDefault());
    }

    /// <summary>
    /// Read back through the API: every number whose last request was acknowledged is as that answer said (present with its
    /// agent, or absent); every number, known or not, is present exactly when its trunk lists it; the workspace counts exactly
    /// the numbers listed, each agent the numbers listed under it, and no workspace holds more than its plan allows.
    /// </summary>
    /// <returns>How many numbers ended known (their last request acknowledged) and how many unknown.</returns>
    public async Task<(int Known, int Unknown)> AssertFinalStateMatchesWhatWasAcknowledged()
    {
        var (knownCount, unknownCount) = (0, 0);
        foreach (var workspace in Workspaces)
        {
            var setup = workspace.Setup;
            var listed = (await setup.ListAll()).ToDictionary(n => n["phoneNumber"]!.GetValue<string>(), n => n["agentId"]!.GetValue<string>());
            foreach (var number in workspace.Pool)
            {
                var read = await setup.Api.Get(workspace.Path(number));
                Assert.True(read.Status is HttpStatusCode.OK or HttpStatusCode.NotFound, $"GET {number}: {read}");
                var present = read.Status == HttpStatusCode.OK;
                Assert.True(present == listed.ContainsKey(number), $"{number} in workspace {workspace.Id}: GET says {(present ? "present" : "absent")}, the list {(listed.ContainsKey(number) ? "has it" : "does not")}");
                if (present) Assert.Equal(listed[number], read.Body!["agentId"]!.GetValue<string>());
                if (workspace.Known(number) is not { } expected)
                {
                    unknownCount++;
                    continue;
                }
                knownCount++;
                Assert.True(expected.Present == present, $"{number} in workspace {workspace.Id}: its last acknowledged request left it {(expected.Present ? "present" : "absent")}, now it is {(present ? "present" : "absent")}");
                if (expected is { Present: true, AgentId: { } agentId })
                    Assert.True(agentId == listed[number], $"{number}: acknowledged on agent {agentId}, now on {listed[number]}");
            }
            Assert.Equal(listed.Count, await setup.NumberCount());
            foreach (var agentId in workspace.AgentIds)
                Assert.Equal(listed.Values.Count(a => a == agentId), await setup.AgentNumberCount(agentId));
            if (workspace.Limit is { } limit) Assert.True(listed.Count <= limit, $"workspace {workspace.Id} holds {listed.Count} numbers, its plan allows {limit}");
        }
        return (knownCount, unknownCount);
    }

    /// <summary>Waits for every call placed to be continued or hung up by the application: none is left waiting in Stasis.</summary>
    public async Task<IReadOnlyDictionary<string, int>> AssertEveryCallEnded(TimeSpan within)
    {
        var placed = Calls;
        var all = Task.WhenAll(placed.Select(c => c.Call.Outcome));
        if (await Task.WhenAny(all, Task.Delay(within)) != all)
        {
            var waiting = placed.Where(c => !c.Call.Outcome.IsCompleted).ToArray();
            Assert.Fail($"{waiting.Length} of {placed.Count} calls still waiting in Stasis after {within.TotalSeconds:F0} s, e.g. " +
                        string.Join(", ", waiting.Take(5).Select(c => $"{c.Call.ChannelId} to {c.Call.DialedExtension} placed at {c.Placed.TotalSeconds:F1} s")));
        }
        var outcomes = placed.Select(c => c.Call.Outcome.Result).ToArray();
        Assert.DoesNotContain(outcomes, o => o.Kind == CallOutcomeKind.CallerHungUp);
        return outcomes.GroupBy(o => o.Kind == CallOutcomeKind.HungUp ? $"released ({o.HangupReason})" : o.Kind == CallOutcomeKind.Continued ? "routed" : o.Kind.ToString())
            .ToDictionary(g => g.Key, g => g.Count());
    }
}

internal static class Settling
{
    /// <summary>
    /// Runs <paramref name="assertion"/> until it passes or <paramref name="within"/> is over, then fails with its last
    /// failure: after a fault the sweeper settles interrupted changes in the background.
    /// </summary>
    public static async Task<T> Within<T>(TimeSpan within, Func<Task<T>> assertion)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await assertion();
            }
            catch (Exception) when (deadline.Elapsed < within)
            {
                await Task.Delay(500);
            }
        }
    }
}
