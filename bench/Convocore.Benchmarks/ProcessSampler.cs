using System.Diagnostics.Tracing;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Convocore.Benchmarks;

/// <summary>One look at a process from outside it.</summary>
/// <param name="LiveHeapBytes">The bytes that survived a full, blocking collection (what the process still holds).</param>
internal sealed record ProcessSample(TimeSpan At, long WorkingSetBytes, long LiveHeapBytes, int Threads, int Handles);

/// <summary>
/// Samples a .NET process the way an operator's tools would, without its help: working set, thread count and open file
/// descriptors from /proc, and the GC heap through the runtime's diagnostics port (EventPipe, as dotnet-gcdump does): a
/// session with the GCHeapCollect keyword makes the runtime run a full blocking collection, and its GCHeapStats event
/// gives the bytes that survived it, so garbage not yet collected cannot pass for growth.
/// </summary>
internal static class ProcessSampler
{
    public static async Task<ProcessSample> Sample(int pid, TimeSpan at)
    {
        var heap = await LiveHeapAfterFullCollection(pid);
        var status = File.ReadAllLines($"/proc/{pid}/status");
        long Field(string name) =>
            long.Parse(status.First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim().Split(' ')[0],
                CultureInfo.InvariantCulture);
        var handles = Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;
        return new ProcessSample(at, Field("VmRSS") * 1024, heap, (int)Field("Threads"), handles);
    }

    private static async Task<long> LiveHeapAfterFullCollection(int pid)
    {
        var client = new DiagnosticsClient(pid);
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect);
        using var session = client.StartEventPipeSession(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, keywords)], requestRundown: false);
        var result = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(() =>
        {
            using var source = new EventPipeEventSource(session.EventStream);
            var fullCollection = false;
            // Ours, not a background collection that happened to run: those leave what they found in the younger generations.
            source.Clr.GCStart += e => fullCollection = e.Depth == 2 && e.Reason is GCReason.Induced or GCReason.InducedNotForced or GCReason.InducedCompacting;
            source.Clr.GCHeapStats += e =>
            {
                // What survived the collection (gen0, gen1, gen2, large and pinned object heaps): the heap's size would also
                // count the free space the collector leaves around pinned socket buffers, which comes and goes by megabytes.
                if (fullCollection) result.TrySetResult(e.TotalPromotedSize0 + e.TotalPromotedSize1 + e.TotalPromotedSize2 + e.TotalPromotedSize3 + e.TotalPromotedSize4);
            };
            source.Process();
        });
        try
        {
            return await result.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
        finally
        {
            try { await session.StopAsync(CancellationToken.None); } catch (Exception e) when (e is ServerNotAvailableException or EndOfStreamException or IOException) { }
            await reading.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
