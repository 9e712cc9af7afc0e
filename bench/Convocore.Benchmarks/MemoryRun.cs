using System.Diagnostics;
using Convocore.Silo.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Convocore.Benchmarks;

/// <summary>
/// Silo memory per configured number: a silo in this process, N numbers added through the grains and each routed
/// once (routing warm), then the managed heap and the working set against the same silo before the numbers.
/// </summary>
internal static class MemoryRun
{
    public static async Task<int> Run(int count)
    {
        // Redis durability does not change silo memory; without an fsync per command a million adds take minutes, not hours.
        using var redis = new LocalRedis(durable: false);
        using var host = await BenchSilo.StartAsync(redis, new Dictionary<string, string?>());
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var table = host.Services.GetRequiredService<RoutingTable>();
        await BenchSilo.ConfigureNumbers(grains, 10); // JIT, the workspace, agent and trunk grains
        var (heapBefore, workingSetBefore) = Measure();

        var clock = Stopwatch.StartNew();
        // Several workspaces in parallel: one workspace grain makes its changes one at a time.
        const int workspaces = 8;
        var share = (count + workspaces - 1) / workspaces;
        var numbers = (await Task.WhenAll(Enumerable.Range(0, workspaces).Select(w =>
            BenchSilo.ConfigureNumbers(grains, Math.Min(share, count - w * share), offset: 10 + w * share)))).SelectMany(n => n).ToArray();
        Console.WriteLine($"added {count} numbers in {clock.Elapsed.TotalSeconds:F0} s");
        clock.Restart();
        foreach (var chunk in numbers!.Chunk(500))
        {
            var decisions = await Task.WhenAll(chunk.Select(n => table.Route(n, null).AsTask()));
            if (decisions.Any(d => d.Number is null)) throw new InvalidOperationException("a configured number was not routed");
        }
        Console.WriteLine($"routed each once in {clock.Elapsed.TotalSeconds:F0} s");
        numbers = null;
        var (heapAfter, workingSetAfter) = Measure();

        Console.WriteLine($"numbers configured and warm: {count}; routing table entries: {table.Count}");
        Report("right after routing (number grains active)", heapBefore, workingSetBefore, heapAfter, workingSetAfter, count);

        // Warm calls read only the table, so idle number grains are collected (after Orleans' collection age): the steady state.
        await grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var (heapIdle, workingSetIdle) = Measure();
        var activations = (await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics()).Sum(s => s.ActivationCount);
        var missed = 0;
        foreach (var chunk in BenchSilo.Numbers(count, offset: 10).Chunk(500))
            missed += (await Task.WhenAll(chunk.Select(n => table.Route(n, null).AsTask()))).Count(d => d.Number is null);
        if (missed > 0) throw new InvalidOperationException($"{missed} configured numbers were not routed after collection");
        Console.WriteLine($"after collecting idle grains: {activations} activations left; every number still routed from the table");
        Report("idle grains collected (steady state)", heapBefore, workingSetBefore, heapIdle, workingSetIdle, count);
        await host.StopAsync();
        return 0;
    }

    private static void Report(string when, long heapBefore, long workingSetBefore, long heap, long workingSet, int count)
    {
        Console.WriteLine($"{when}:");
        Console.WriteLine($"  managed heap: {heapBefore / 1048576.0:F1} MiB -> {heap / 1048576.0:F1} MiB, {(heap - heapBefore) / (double)count:F0} bytes per number");
        Console.WriteLine($"  working set:  {workingSetBefore / 1048576.0:F1} MiB -> {workingSet / 1048576.0:F1} MiB, {(workingSet - workingSetBefore) / (double)count:F0} bytes per number");
    }

    internal static (long Heap, long WorkingSet) Measure()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64);
    }
}
