using Convocore.Silo;
using System.Diagnostics;
using Convocore.AriSimulator;
using Microsoft.Extensions.DependencyInjection;

namespace Convocore.Benchmarks;

/// <summary>
/// Callers choose what they dial: calls to configured numbers alone, then the same calls with calls to distinct random
/// unknown DIDs between them (each activates a phone number grain and reads Redis), measured alternately in one run.
/// Reports our own time of the calls to configured numbers in both, and the silo's memory before the unknown calls,
/// right after them, and once idle grains are collected.
/// Usage: <c>dialled [--unknown 10000] [--rates 500] [--runs 3] [--numbers 1000]</c>.
/// </summary>
internal static class DialledRun
{
    /// <param name="directoryCacheSize">The silo's Convocore:Silo:DirectoryCacheSize; its default when null.</param>
    public static async Task<int> Run(int unknownPerRun, int rate, int runs, int configured, string? directoryCacheSize)
    {
        using var own = new OwnTime { RoutedOnly = true };
        using var redis = new LocalRedis();
        // Routed calls end a second after continue, so that neither the simulator nor the silo holds calls that never end
        // (both are in this process, and what they hold would count as the unknown DIDs' memory).
        await using var asterisk = new AriSimulator.AriSimulator(new AriSimulatorOptions
        {
            Username = "bench", Password = "bench", RecordCommands = false, ContinuedCallDuration = TimeSpan.FromSeconds(1),
        });
        await asterisk.StartAsync();
        var settings = BenchSilo.ConnectedTo(asterisk);
        if (directoryCacheSize is not null) settings[SiloServices.DirectoryCacheSizeSetting] = directoryCacheSize;
        using var host = await BenchSilo.StartAsync(redis, settings);
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var numbers = await BenchSilo.ConfigureNumbers(grains, configured);
        await asterisk.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(TimeSpan.FromSeconds(30));
        await LoadRun.Run("warm-up", asterisk, numbers, Math.Min(rate, 500), TimeSpan.FromSeconds(numbers.Count / (double)Math.Min(rate, 500)), own);
        var management = grains.GetGrain<IManagementGrain>(0);
        await Task.Delay(TimeSpan.FromSeconds(3)); // the warm-up's calls end and their records are written
        await management.ForceActivationCollection(TimeSpan.Zero);
        var (heapBefore, workingSetBefore) = MemoryRun.Measure();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores; directory cache {directoryCacheSize ?? "default"}; {configured} numbers configured; {unknownPerRun} distinct unknown DIDs per run, " +
                          $"one between every two calls to configured numbers; rate {rate}/s of configured calls");

        var random = new Random(42);
        var alone = new List<LoadResult>();
        var mixed = new List<LoadResult>();
        long heapAfterCalls = 0, workingSetAfterCalls = 0;
        for (var run = 1; run <= runs; run++)
        {
            var seconds = unknownPerRun / (double)rate;
            alone.Add(await LoadRun.Run("alone", asterisk, numbers, rate, TimeSpan.FromSeconds(seconds), own));
            // The same configured calls at the same rate, and as many calls again to numbers nobody configured.
            var interleaved = new List<string>(unknownPerRun * 2);
            for (var i = 0; i < unknownPerRun; i++)
            {
                interleaved.Add(numbers[i % numbers.Count]);
                interleaved.Add("+1666" + random.Next(0, 10_000_000).ToString("D7")); // valid E.164, never configured
            }
            mixed.Add(await LoadRun.Run("mixed", asterisk, interleaved, rate * 2, TimeSpan.FromSeconds(seconds), own));
            Console.WriteLine($"  run {run}: {alone[^1]}\n  run {run}: {mixed[^1]}");
            await Task.Delay(TimeSpan.FromSeconds(3)); // the routed calls end and their records are written
            (heapAfterCalls, workingSetAfterCalls) = MemoryRun.Measure();
            var activations = (await management.GetSimpleGrainStatistics()).Sum(s => s.ActivationCount);
            await management.ForceActivationCollection(TimeSpan.Zero);
            var (heapIdle, workingSetIdle) = MemoryRun.Measure();
            var left = (await management.GetSimpleGrainStatistics()).Sum(s => s.ActivationCount);
            Console.WriteLine($"  run {run}: after the unknown calls {activations} activations, managed heap {Mib(heapAfterCalls - heapBefore):+0.0;-0.0} MiB, " +
                              $"working set {Mib(workingSetAfterCalls - workingSetBefore):+0.0;-0.0} MiB; idle grains collected: {left} activations, " +
                              $"managed heap {Mib(heapIdle - heapBefore):+0.0;-0.0} MiB, working set {Mib(workingSetIdle - workingSetBefore):+0.0;-0.0} MiB " +
                              "(against before the first unknown call)");
        }
        Console.WriteLine(LoadResult.Median(alone));
        Console.WriteLine(LoadResult.Median(mixed));
        Console.WriteLine($"own time of calls to configured numbers (medians of {runs} runs): alone p50 {LoadResult.Median(alone).OwnP50:F3} p99 " +
                          $"{LoadResult.Median(alone).OwnP99:F3} ms; beside unknown DIDs p50 {LoadResult.Median(mixed).OwnP50:F3} p99 {LoadResult.Median(mixed).OwnP99:F3} ms");
        await host.StopAsync();
        return 0;
    }

    private static double Mib(long bytes) => bytes / 1048576.0;
}
