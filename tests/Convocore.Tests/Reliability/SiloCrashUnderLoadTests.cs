using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Xunit.Abstractions;

namespace Convocore.Tests.Reliability;

/// <summary>
/// Three real silo processes; the one holding the ARI connection (and a third of the grains) is killed with SIGKILL in
/// the middle of a burst of number changes from four workspaces, two of them racing for the same numbers, while calls
/// come in through the ARI simulator.
/// </summary>
public sealed class SiloCrashUnderLoadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SiloProcessCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await SiloProcessCluster.StartAsync(3, new Dictionary<string, string>
    {
        ["Convocore__Numbers__ReconcileIntervalSeconds"] = "0.5",
    });

    [Fact]
    public async Task When_one_of_three_silos_is_killed_mid_burst_no_acknowledged_change_is_lost_no_number_is_owned_twice_quotas_hold_and_no_call_is_left_in_Stasis()
    {
        var workspaces = await Task.WhenAll(
            LoadWorkspace.Create(cluster.WebAddress, "Free", 10), LoadWorkspace.Create(cluster.WebAddress, "Free", 10),
            LoadWorkspace.Create(cluster.WebAddress, "Pro", 56), LoadWorkspace.Create(cluster.WebAddress, "Pro", 56));
        // Near their limits before the burst: Free 3 of 5, Pro 46 of 50, the first numbers of each pool.
        await Task.WhenAll(workspaces.Select(async w =>
        {
            foreach (var number in w.Pool.Take(w.Limit == 5 ? 3 : 46)) await w.Setup.AddOk(number);
        }));
        var contended = TestNumbers.Next(8);

        // The burst: every workspace adds the rest of its pool, reassigns and deletes some of what it has, and adds every
        // contended number; each request is on a number of its own, but for the contended ones.
        var random = new Random(15);
        var burst = workspaces.SelectMany(w =>
        {
            var held = w.Pool.Take(w.Limit == 5 ? 3 : 46).ToArray();
            return w.Pool.Skip(held.Length).Select(n => new Change(w, "add", n))
                .Concat(held.Take(held.Length / 2).Select(n => new Change(w, "reassign", n)))
                .Concat(held.Skip(held.Length / 2).Take(held.Length / 4 + 1).Select(n => new Change(w, "delete", n)))
                .Concat(contended.Select(n => new Change(w, "add", n)));
        }).OrderBy(_ => random.Next()).ToArray();
        var calls = new ConcurrentQueue<SimulatedCall>();
        var dialled = workspaces.SelectMany(w => w.Pool).Concat(contended).ToArray();
        using var stopDialling = new CancellationTokenSource();
        var dialling = Task.Run(async () =>
        {
            var pick = new Random(7);
            while (!stopDialling.IsCancellationRequested)
            {
                calls.Enqueue(cluster.Asterisk.PlaceCall(dialled[pick.Next(dialled.Length)], "+15550001111"));
                await Task.Delay(20);
            }
        });

        var victim = await cluster.ConnectionHolder();
        var clock = Stopwatch.StartNew();
        var next = -1;
        var killedAt = TimeSpan.Zero;
        async Task Worker()
        {
            for (var i = Interlocked.Increment(ref next); i < burst.Length; i = Interlocked.Increment(ref next))
            {
                if (i == burst.Length / 3)
                {
                    victim.Kill();
                    killedAt = clock.Elapsed;
                }
                await burst[i].Send(clock);
                await Task.Delay(30);
            }
        }
        var workers = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Worker)));
        await cluster.Asterisk.WaitForEventConnectionCountAsync(SiloProcessCluster.Application, 0).WaitAsync(TimeSpan.FromSeconds(30));
        await cluster.Asterisk.WaitForEventConnectionCountAsync(SiloProcessCluster.Application, 1).WaitAsync(TimeSpan.FromSeconds(60));
        var takeover = clock.Elapsed - killedAt;
        await workers;
        var burstEnded = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stopDialling.CancelAsync();
        await dialling;

        var answers = burst.Select(c => c.Answer!).ToArray();
        output.WriteLine($"{burst.Length} changes in {burstEnded.TotalSeconds:F1} s, silo {victim.Name} killed at {killedAt.TotalSeconds:F1} s; " +
                         $"{answers.Count(a => a.Acknowledged)} acknowledged, {answers.Count(a => a.Unavailable)} answered 503, " +
                         string.Join(", ", answers.Where(a => a.Response is not null).GroupBy(a => (int)a.Response!.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()}×{g.Key}")) +
                         $"; slowest {answers.MaxBy(a => a.Took)}; ARI connection back {takeover.TotalMilliseconds:F0} ms after the kill");
        foreach (var a in answers.Where(a => !a.Acknowledged && a.Response?.Status is not (HttpStatusCode.Forbidden or HttpStatusCode.Conflict)).Take(10))
            output.WriteLine(a.ToString());

        var unexpected = answers.Where(a => !a.Acknowledged && !a.Unavailable && a.Response?.Status is not (HttpStatusCode.Forbidden or HttpStatusCode.Conflict)).ToArray();
        Assert.True(unexpected.Length == 0, $"{unexpected.Length} unexpected answers, e.g. {unexpected.FirstOrDefault()}");
        // A request whose grain was on the killed silo waits out Orleans' response timeout (30 s), then answers 503.
        var slowest = answers.MaxBy(a => a.Took)!;
        Assert.True(slowest.Took < TimeSpan.FromSeconds(35), $"a request took {slowest.Took.TotalSeconds:F1} s: {slowest}");
        await Settling.Within(TimeSpan.FromSeconds(30), async () =>
        {
            await AssertAcknowledgedChangesHold(burst, workspaces, contended);
            return true;
        });
        var placed = calls.ToArray();
        var all = Task.WhenAll(placed.Select(c => c.Outcome));
        await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30)));
        var waiting = placed.Where(c => !c.Outcome.IsCompleted).ToArray();
        output.WriteLine($"{placed.Length} calls: " + string.Join(", ", placed.Where(c => c.Outcome.IsCompleted).GroupBy(c => c.Outcome.Result.Kind switch
        {
            CallOutcomeKind.Continued => "routed",
            CallOutcomeKind.HungUp => $"released ({c.Outcome.Result.HangupReason})",
            CallOutcomeKind.NotDelivered => "not delivered (no application registered during the takeover)",
            var other => other.ToString(),
        }).Select(g => $"{g.Count()} {g.Key}")) + $", {waiting.Length} left in Stasis");
        Assert.True(waiting.Length == 0, $"{waiting.Length} calls left in Stasis, e.g. {waiting.FirstOrDefault()?.ChannelId}");
        Assert.True(takeover < TimeSpan.FromSeconds(5), $"the ARI connection came back {takeover.TotalSeconds:F1} s after the kill");
        Assert.All(cluster.Silos.Where(s => s != victim), s => Assert.False(s.HasExited, $"silo {s.Name} stopped"));
    }

    /// <summary>
    /// Every acknowledged change is in place; no number is held by two workspaces, nor acknowledged to two; each workspace
    /// counts exactly what it lists, each agent what is listed under it, and none holds more than its plan allows.
    /// </summary>
    private static async Task AssertAcknowledgedChangesHold(Change[] burst, LoadWorkspace[] workspaces, string[] contended)
    {
        var listed = new Dictionary<string, string>();
        foreach (var w in workspaces)
        {
            var numbers = (await w.Setup.ListAll()).ToDictionary(n => n["phoneNumber"]!.GetValue<string>(), n => n["agentId"]!.GetValue<string>());
            foreach (var (number, agentId) in numbers)
            {
                Assert.True(listed.TryAdd(number, w.Id), $"{number} is listed by workspaces {listed.GetValueOrDefault(number)} and {w.Id}");
                Assert.Equal(HttpStatusCode.OK, (await w.Setup.Api.Get(w.Path(number))).Status);
            }
            Assert.Equal(numbers.Count, await w.Setup.NumberCount());
            foreach (var agentId in w.AgentIds) Assert.Equal(numbers.Values.Count(a => a == agentId), await w.Setup.AgentNumberCount(agentId));
            Assert.True(numbers.Count <= w.Limit, $"workspace {w.Id} holds {numbers.Count} numbers, its plan allows {w.Limit}");
            foreach (var change in burst.Where(c => c.Workspace == w && c.Answer!.Acknowledged))
            {
                var present = numbers.TryGetValue(change.Number, out var agent);
                Assert.True(present == (change.Kind != "delete"), $"acknowledged {change.Kind} of {change.Number} in {w.Id}, now {(present ? "present" : "absent")}");
                if (change.Kind == "reassign") Assert.Equal(w.AgentIds[1], agent);
            }
            // A number neither listed nor acknowledged may be absent, but then absent everywhere: never held unlisted.
            foreach (var number in w.Pool.Where(n => !numbers.ContainsKey(n)))
                Assert.Equal(HttpStatusCode.NotFound, (await w.Setup.Api.Get(w.Path(number))).Status);
        }
        foreach (var number in contended)
        {
            foreach (var w in workspaces)
                Assert.Equal(listed.GetValueOrDefault(number) == w.Id ? HttpStatusCode.OK : HttpStatusCode.NotFound, (await w.Setup.Api.Get(w.Path(number))).Status);
            Assert.True(burst.Count(c => c.Number == number && c.Answer!.Response?.Status == HttpStatusCode.Created) <= 1, $"{number} was acknowledged to two workspaces");
        }
    }

    private sealed class Change(LoadWorkspace workspace, string kind, string number)
    {
        public LoadWorkspace Workspace { get; } = workspace;
        public string Kind { get; } = kind;
        public string Number { get; } = number;
        public LoadRequest? Answer { get; private set; }

        public async Task Send(Stopwatch clock)
        {
            var started = clock.Elapsed;
            ApiResponse? response = null;
            Exception? error = null;
            try
            {
                response = Kind switch
                {
                    "add" => await Workspace.Setup.Add(Number),
                    "reassign" => await Workspace.Setup.Api.Patch(Workspace.Path(Number), new { agentId = Workspace.AgentIds[1] }),
                    _ => await Workspace.Setup.Api.Delete(Workspace.Path(Number)),
                };
            }
            catch (Exception ex)
            {
                error = ex;
            }
            Answer = new LoadRequest(Workspace.Id, Kind, Number, started, clock.Elapsed - started, response, error);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in cluster.Silos) output.WriteLine($"--- silo {silo.Name} (last 3000 characters) ---\n{silo.Log[^Math.Min(3000, silo.Log.Length)..]}");
        await cluster.DisposeAsync();
    }
}
