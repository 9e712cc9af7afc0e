using System.Diagnostics;
using System.Text.RegularExpressions;
using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Xunit.Abstractions;

namespace Convocore.Tests.Reliability;

/// <summary>
/// Asterisk misbehaving under a burst of calls, played by the ARI simulator against a real silo process (its log is
/// what an operator reads) and a real web process (to configure the numbers through the API): the events WebSocket cut,
/// commands answered with 500, commands never answered. Every call ends routed or released; none waits in Stasis.
/// </summary>
public sealed partial class AriFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Application = "convocore";
    private const int CallsPerSecond = 100;
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(4);

    private readonly AriSimulator.AriSimulator asterisk = new(new AriSimulatorOptions
    {
        Username = "convocore", Password = "ari-secret", RecordCommands = false,
    });
    private RedisServer redis = null!;
    private SiloProcess? silo;
    private WebAppProcess? web;
    private string[] numbers = [];
    private long faultEnded;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        await asterisk.StartAsync();
        silo = SiloProcess.Start(redis, asterisk, "ari-faults");
        web = WebAppProcess.Start(redis, "ari-faults");
        await asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(60));
        await web.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        var workspace = await ApiClient.CreateWorkspace(web.Address, "Enterprise", "ARI faults");
        var agent = await workspace.CreateAgent();
        var trunk = await workspace.CreateTrunk();
        numbers = Enumerable.Range(0, 20).Select(_ => TestNumbers.Next()).ToArray();
        foreach (var number in numbers)
            Assert.Equal(System.Net.HttpStatusCode.Created, (await workspace.AddNumber(trunk, number, agent)).Status);
        // Warm: the burst measures the fault, not the first lookup of each number.
        foreach (var number in numbers)
            Assert.Equal(CallOutcomeKind.Continued, (await asterisk.PlaceCall(number, "+15550001111").Outcome.WaitAsync(TimeSpan.FromSeconds(15))).Kind);
    }

    [Fact]
    public async Task When_the_ARI_WebSocket_is_cut_mid_burst_every_delivered_call_is_routed_and_none_is_left_in_Stasis()
    {
        var logBefore = silo!.Log.Length;
        var cutAfter = TimeSpan.FromSeconds(1.5);
        TimeSpan? reconnected = null;
        var calls = await PlaceBurst(cutAfter, async clock =>
        {
            asterisk.DropEventConnections();
            var cut = clock.Elapsed;
            await asterisk.WaitForEventConnectionCountAsync(Application, 0).WaitAsync(TimeSpan.FromSeconds(10));
            await asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(30));
            reconnected = clock.Elapsed - cut;
            faultEnded = Stopwatch.GetTimestamp();
        });

        var outcomes = await Outcomes(calls, TimeSpan.FromSeconds(20));
        var faultLog = await LogAfterACallThatRoutes(logBefore);
        Report(outcomes, faultLog, $"WebSocket cut {cutAfter.TotalSeconds:F1} s into the burst; connected again {reconnected?.TotalMilliseconds:F0} ms later");

        Assert.Equal(0, outcomes.LeftInStasis);
        // Calls that came while no WebSocket held the app never reached us (Asterisk fails Stasis() then): all others are routed.
        Assert.Equal(outcomes.Placed - outcomes.NotDelivered, outcomes.Continued);
        Assert.True(outcomes.ContinuedAfterFault > 0, "no call placed after the reconnect was routed");
        Assert.NotNull(reconnected);
        Assert.True(reconnected < TimeSpan.FromSeconds(3), $"the silo connected again after {reconnected?.TotalSeconds:F1} s");
        Assert.InRange(WarningsAndErrors(faultLog), 1, 3);
        Assert.Equal(0, StackTraceLines(faultLog));
    }

    [Fact]
    public async Task While_ARI_answers_commands_with_500_the_calls_are_released_with_congestion_and_logged_once_not_per_call()
    {
        var (outcomes, faultLog) = await BurstWithCommandFault(CommandFault.InternalServerError, TimeSpan.FromSeconds(30),
            "every ARI command answered 500 for 1.5 s of the burst");

        AssertReleasedWithCongestion(outcomes);
        AssertLoggedOncePerStreak(faultLog);
    }

    [Fact]
    public async Task While_ARI_leaves_commands_unanswered_the_calls_are_released_with_congestion_after_the_request_timeout()
    {
        // Each unanswered command waits out the client's 10 s request timeout before the caller is released.
        var (outcomes, faultLog) = await BurstWithCommandFault(CommandFault.NoAnswer, TimeSpan.FromSeconds(40),
            "every ARI command left unanswered for 1.5 s of the burst");

        AssertReleasedWithCongestion(outcomes);
        Assert.InRange(outcomes.SlowestRelease, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(25));
        AssertLoggedOncePerStreak(faultLog);
    }

    /// <summary>A burst of calls with every ARI command meeting <paramref name="fault"/> for 1.5 s of it.</summary>
    private async Task<(BurstOutcomes Outcomes, string FaultLog)> BurstWithCommandFault(CommandFault fault, TimeSpan settle, string what)
    {
        var logBefore = silo!.Log.Length;
        var calls = await PlaceBurst(TimeSpan.FromSeconds(1), async _ =>
        {
            asterisk.CommandFault = fault;
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            asterisk.CommandFault = CommandFault.None;
            faultEnded = Stopwatch.GetTimestamp();
        });
        var outcomes = await Outcomes(calls, settle);
        var faultLog = await LogAfterACallThatRoutes(logBefore);
        Report(outcomes, faultLog, what);
        return (outcomes, faultLog);
    }

    private static void AssertReleasedWithCongestion(BurstOutcomes outcomes)
    {
        Assert.Equal(0, outcomes.LeftInStasis);
        Assert.True(outcomes.Congestion > 10, $"only {outcomes.Congestion} calls met the fault");
        Assert.Equal(outcomes.Placed, outcomes.Continued + outcomes.Congestion);
        Assert.True(outcomes.ContinuedAfterFault > 0, "no call placed after the fault was routed");
    }

    /// <summary>
    /// The silo's log from <paramref name="from"/> on, once a call after the fault has been routed: calls that route
    /// again end a streak of failures, which the silo then sums up.
    /// </summary>
    private async Task<string> LogAfterACallThatRoutes(int from)
    {
        var after = await asterisk.PlaceCall(numbers[0], "+15550001111").Outcome.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(CallOutcomeKind.Continued, after.Kind);
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // the console logger writes in the background
        return silo!.Log[from..];
    }

    private sealed record PlacedCall(SimulatedCall Call, TimeSpan At, bool AfterFault);

    /// <summary>Calls at <see cref="CallsPerSecond"/> for <see cref="Burst"/>; <paramref name="fault"/> starts after <paramref name="faultAfter"/>.</summary>
    private async Task<List<PlacedCall>> PlaceBurst(TimeSpan faultAfter, Func<Stopwatch, Task> fault)
    {
        var calls = new List<PlacedCall>();
        var clock = Stopwatch.StartNew();
        Task? faulting = null;
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var total = (int)(CallsPerSecond * Burst.TotalSeconds);
        for (var i = 0; i < total;)
        {
            if (faulting is null && clock.Elapsed >= faultAfter) faulting = fault(clock);
            var due = (int)Math.Min(total, clock.Elapsed.TotalSeconds * CallsPerSecond + 1);
            for (; i < due; i++)
                calls.Add(new PlacedCall(asterisk.PlaceCall(numbers[i % numbers.Length], "+15550001111"), clock.Elapsed, faulting?.IsCompleted == true));
            await pace.WaitForNextTickAsync();
        }
        await faulting!;
        return calls;
    }

    private sealed record BurstOutcomes(int Placed, int Continued, int Congestion, int NotDelivered, int OtherHangups, int LeftInStasis,
        int ContinuedAfterFault, TimeSpan SlowestRelease, TimeSpan Recovery);

    private async Task<BurstOutcomes> Outcomes(List<PlacedCall> calls, TimeSpan patience)
    {
        await Task.WhenAny(Task.WhenAll(calls.Select(c => c.Call.Outcome)), Task.Delay(patience));
        var done = calls.Where(c => c.Call.Outcome.IsCompletedSuccessfully).Select(c => (c, Outcome: c.Call.Outcome.Result)).ToList();
        var released = done.Where(d => d.Outcome.Kind == CallOutcomeKind.HungUp && d.Outcome.HangupReason == "congestion").ToList();
        return new BurstOutcomes(
            calls.Count,
            done.Count(d => d.Outcome.Kind == CallOutcomeKind.Continued),
            released.Count,
            done.Count(d => d.Outcome.Kind == CallOutcomeKind.NotDelivered),
            done.Count(d => d.Outcome.Kind == CallOutcomeKind.HungUp && d.Outcome.HangupReason != "congestion"),
            calls.Count - done.Count,
            done.Count(d => d.c.AfterFault && d.Outcome.Kind == CallOutcomeKind.Continued),
            released.Select(d => d.c.Call.Commands.Count == 0 ? TimeSpan.Zero
                : Stopwatch.GetElapsedTime(d.c.Call.StasisStartSentTimestamp, d.c.Call.Commands[^1].Timestamp)).DefaultIfEmpty().Max(),
            // From the fault's end to the first call placed after it being handed to its agent.
            done.Where(d => d.c.AfterFault && d.Outcome.Kind == CallOutcomeKind.Continued)
                .Select(d => Stopwatch.GetElapsedTime(faultEnded, d.c.Call.Commands[^1].Timestamp)).DefaultIfEmpty(TimeSpan.MaxValue).Min());
    }

    private void Report(BurstOutcomes outcomes, string faultLog, string fault)
    {
        output.WriteLine($"{fault}: {outcomes.Placed} calls placed at {CallsPerSecond}/s; {outcomes.Continued} routed " +
                         $"({outcomes.ContinuedAfterFault} of them placed after the fault), {outcomes.Congestion} released with congestion " +
                         $"(slowest {outcomes.SlowestRelease.TotalSeconds:F1} s after its StasisStart), {outcomes.NotDelivered} not delivered " +
                         $"(no WebSocket held the app), {outcomes.OtherHangups} other hang-ups, {outcomes.LeftInStasis} left in Stasis; " +
                         $"first call after the fault routed {outcomes.Recovery.TotalMilliseconds:F0} ms after its end; " +
                         $"silo log meanwhile: {WarningsAndErrors(faultLog)} warnings/errors, {StackTraceLines(faultLog)} stack trace lines");
        output.WriteLine(faultLog);
    }

    /// <summary>One warning when calls start failing (per kind of failure), one line when they route again; not one per call.</summary>
    private static void AssertLoggedOncePerStreak(string faultLog)
    {
        Assert.InRange(WarningsAndErrors(faultLog), 1, 3);
        Assert.Equal(0, StackTraceLines(faultLog));
        Assert.Contains("released with congestion", faultLog);
    }

    /// <summary>Log entries at warning level or above, in the console logger's format ("warn: Category[0]").</summary>
    private static int WarningsAndErrors(string log) => LogLevelPrefix().Count(log);

    private static int StackTraceLines(string log) => StackFrame().Count(log);

    [GeneratedRegex(@"^(warn|fail|crit): ", RegexOptions.Multiline)]
    private static partial Regex LogLevelPrefix();

    [GeneratedRegex(@"^\s+at \S+\(", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    public async Task DisposeAsync()
    {
        silo?.Kill();
        web?.Kill();
        if (silo is not null) output.WriteLine($"--- silo ---\n{silo.Log}");
        await asterisk.DisposeAsync();
        await redis.DisposeAsync();
    }
}
