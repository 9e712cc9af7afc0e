using System.Diagnostics.Metrics;

namespace Convocore.Benchmarks;

/// <summary>
/// Our own time per call as the silo itself measures it: every <c>convocore.routing.duration</c> measurement
/// (StasisStart frame received → first ARI command handed to the socket), captured in process while a run lasts.
/// It leaves out what the end-to-end figures also hold: the loopback, the simulator and the load generator.
/// </summary>
internal sealed class OwnTime : IDisposable
{
    private readonly MeterListener listener = new();
    private double[] samples = new double[1 << 16];
    private int count;
    private volatile bool recording;

    public OwnTime()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument is { Name: "convocore.routing.duration", Meter.Name: "Convocore.Routing" }) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            if (!recording) return;
            if (RoutedOnly && !IsRouted(tags)) return;
            var slot = Interlocked.Increment(ref count) - 1;
            var buffer = samples;
            if (slot < buffer.Length) buffer[slot] = value;
        });
        listener.Start();
    }

    /// <summary>Only calls handed to their agent count (outcome "routed"), e.g. beside calls to unknown numbers.</summary>
    public bool RoutedOnly { get; set; }

    private static bool IsRouted(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var (key, value) in tags)
            if (key == "outcome") return value as string == "routed";
        return false;
    }

    /// <summary>Starts a run with room for <paramref name="expected"/> calls.</summary>
    public void Start(int expected)
    {
        samples = new double[Math.Max(expected * 2, 1024)];
        Volatile.Write(ref count, 0);
        recording = true;
    }

    /// <summary>Ends the run: the measurements, ascending.</summary>
    public double[] Stop()
    {
        recording = false;
        var taken = samples.AsSpan(0, Math.Min(Volatile.Read(ref count), samples.Length)).ToArray();
        Array.Sort(taken);
        return taken;
    }

    public void Dispose() => listener.Dispose();
}
