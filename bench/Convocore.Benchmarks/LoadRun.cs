using System.Diagnostics;
using Convocore.AriSimulator;

namespace Convocore.Benchmarks;

/// <summary>Latency figures of one run, in milliseconds.</summary>
internal sealed record LoadResult(string Subject, int Rate, int Placed, int Answered, int Errors, double AchievedRate,
    double FirstP50, double FirstP90, double FirstP99, double FirstMax, double FinalP50, double FinalP99,
    double OwnP50 = double.NaN, double OwnP99 = double.NaN, double OwnMax = double.NaN, double AllocatedPerCall = double.NaN)
{
    public override string ToString() =>
        $"{Subject,-8} {Rate,6}/s placed {Placed,6} answered {Answered,6} errors {Errors,4} achieved {AchievedRate,8:F0}/s | " +
        $"first command p50 {FirstP50,6:F3} p90 {FirstP90,6:F3} p99 {FirstP99,7:F3} max {FirstMax,8:F3} | final p50 {FinalP50,6:F3} p99 {FinalP99,7:F3} ms" +
        (double.IsNaN(OwnP50) ? "" : $" | own p50 {OwnP50,6:F3} p99 {OwnP99,6:F3} max {OwnMax,7:F3} ms") +
        $" | process alloc/call {AllocatedPerCall,7:F0} B";

    /// <summary>Each figure is the median of that figure over the runs; counts are summed.</summary>
    public static LoadResult Median(IReadOnlyList<LoadResult> runs)
    {
        if (runs.Count == 1) return runs[0];
        double Mid(Func<LoadResult, double> figure)
        {
            var sorted = runs.Select(figure).Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        return new LoadResult(runs[0].Subject, runs[0].Rate, runs.Sum(r => r.Placed), runs.Sum(r => r.Answered), runs.Sum(r => r.Errors),
            Mid(r => r.AchievedRate), Mid(r => r.FirstP50), Mid(r => r.FirstP90), Mid(r => r.FirstP99), Mid(r => r.FirstMax),
            Mid(r => r.FinalP50), Mid(r => r.FinalP99), Mid(r => r.OwnP50), Mid(r => r.OwnP99), Mid(r => r.OwnMax), Mid(r => r.AllocatedPerCall));
    }
}

/// <summary>Fires StasisStart at a steady rate over a set of numbers and measures what comes back.</summary>
internal static class LoadRun
{
    /// <param name="own">The silo's own measurements of the calls, for our subject; null for the floor.</param>
    public static async Task<LoadResult> Run(string subject, AriSimulator.AriSimulator asterisk, IReadOnlyList<string> numbers, int rate, TimeSpan duration,
        OwnTime? own = null)
    {
        var total = (int)(rate * duration.TotalSeconds);
        own?.Start(total);
        var calls = new List<(SimulatedCall Call, Task<long> Final)>(total);
        var ticksPerCall = Stopwatch.Frequency / (double)rate;
        // Paced by a 1 ms timer, placing every call that is due: the generator must not spin on one of the two cores it
        // shares with the system under test. Latency runs from when each StasisStart is actually written to the socket.
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        // Everything this process allocates during the run (generator and simulator too): compare subjects or settings.
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < total;)
        {
            var due = (int)Math.Min(total, (Stopwatch.GetTimestamp() - start) / ticksPerCall + 1);
            for (; i < due; i++)
            {
                var call = asterisk.PlaceCall(numbers[i % numbers.Count], "+15550000000");
                calls.Add((call, call.Outcome.ContinueWith(_ => Stopwatch.GetTimestamp(), TaskContinuationOptions.ExecuteSynchronously)));
            }
            if (i < total) await pace.WaitForNextTickAsync();
        }
        var sent = Stopwatch.GetElapsedTime(start);
        await Task.WhenAny(Task.WhenAll(calls.Select(c => c.Final)), Task.Delay(TimeSpan.FromSeconds(10)));
        var allocatedPerCall = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / (double)total;

        var first = new List<double>(total);
        var final = new List<double>(total);
        var answered = 0;
        var errors = 0;
        foreach (var (call, finalAt) in calls)
        {
            if (!finalAt.IsCompletedSuccessfully || call.FirstCommandLatency is not { } latency)
            {
                errors++;
                continue;
            }
            var outcome = await call.Outcome;
            if (outcome.Kind == CallOutcomeKind.Continued) answered++;
            else errors++;
            first.Add(latency.TotalMilliseconds);
            final.Add(Stopwatch.GetElapsedTime(call.StasisStartSentTimestamp, finalAt.Result).TotalMilliseconds);
        }
        first.Sort();
        final.Sort();
        var ours = own?.Stop() ?? [];
        return new LoadResult(subject, rate, total, answered, errors, total / sent.TotalSeconds,
            Percentile(first, 50), Percentile(first, 90), Percentile(first, 99), first.Count == 0 ? double.NaN : first[^1],
            Percentile(final, 50), Percentile(final, 99),
            Percentile(ours, 50), Percentile(ours, 99), ours.Length == 0 ? double.NaN : ours[^1], allocatedPerCall);
    }

    /// <summary>Nearest rank; <paramref name="sorted"/> ascending. The one percentile every benchmark here reports.</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
