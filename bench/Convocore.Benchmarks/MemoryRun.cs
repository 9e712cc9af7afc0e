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
            if (decisions.Any(d => d.Assignment is null)) throw new InvalidOperationException("a configured number was not routed");
        }
        Console.WriteLine($"routed each once in {clock.Elapsed.TotalSeconds:F0} s");
        numbers = null;
        var (heapAfter, workingSetAfter) = Measure();

        Console.WriteLine($"numbers configured and warm: {count}");
        Console.WriteLine($"managed heap: {heapBefore / 1048576.0:F1} MiB -> {heapAfter / 1048576.0:F1} MiB, {(heapAfter - heapBefore) / (double)count:F0} bytes per number");
        Console.WriteLine($"working set:  {workingSetBefore / 1048576.0:F1} MiB -> {workingSetAfter / 1048576.0:F1} MiB, {(workingSetAfter - workingSetBefore) / (double)count:F0} bytes per number");
        await host.StopAsync();
        return 0;
    }

    private static (long Heap, long WorkingSet) Measure()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: true), self.WorkingSet64);
    }
}
