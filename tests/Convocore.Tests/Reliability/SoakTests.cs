using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Convocore.Tests.Reliability;

/// <summary>
/// The soak of the load tool (bench/Convocore.Benchmarks soak), shortened: mixed load against a real silo process and a
/// real web process, each sampled from outside every 5 s (18 samples after the warm-up, so each third has 6) (working set and threads from /proc, file descriptors, the GC
/// heap after a full collection through the diagnostics port). The 10-minute run and its figures are in RELIABILITY.md.
/// </summary>
[Collection(SoakCollection.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Two_minutes_of_mixed_load_leave_the_memory_threads_and_handles_of_the_silo_and_web_processes_flat_after_the_warm_up()
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // Without the analytics page's reads: each reads every call of the last 30 days, so what the silo holds while it
        // answers grows with the call log (RELIABILITY.md, "Soak"), which is not a leak but would read as one here.
        foreach (var arg in new[] { LoadTool(), "soak", "--seconds", "120", "--warmup", "30", "--interval", "5", "--analytics-reads", "off" }) start.ArgumentList.Add(arg);
        using var soak = Process.Start(start)!;
        var printed = new StringBuilder();
        soak.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (printed) printed.AppendLine(e.Data); };
        soak.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (printed) printed.AppendLine(e.Data); };
        soak.BeginOutputReadLine();
        soak.BeginErrorReadLine();
        try
        {
            await soak.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(240));
        }
        finally
        {
            if (!soak.HasExited) soak.Kill(entireProcessTree: true);
            lock (printed) output.WriteLine(printed.ToString());
        }

        string report;
        lock (printed) report = printed.ToString();
        Assert.Contains("verdict: flat, nothing failed", report);
        Assert.Equal(0, soak.ExitCode);
    }

    /// <summary>The load tool as built beside these tests: bench/Convocore.Benchmarks/bin/&lt;configuration&gt;/&lt;framework&gt;.</summary>
    private static string LoadTool()
    {
        var testBinaries = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var (framework, configuration) = (testBinaries.Name, testBinaries.Parent!.Name);
        for (var directory = testBinaries; directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "bench", "Convocore.Benchmarks", "bin", configuration, framework, "Convocore.Benchmarks.dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("Convocore.Benchmarks.dll: build the solution first");
    }
}

/// <summary>
/// The soak runs alone, after the tests that run in parallel: a busy machine makes the thread pool add threads, which
/// would read as growth that is not the system's own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakCollection
{
    public const string Name = "soak";
}
