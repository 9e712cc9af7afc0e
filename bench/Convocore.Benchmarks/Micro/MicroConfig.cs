using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Convocore.Benchmarks.Micro;

internal static class MicroConfig
{
    /// <summary>
    /// In process: BenchmarkDotNet's default per-benchmark project build needs packages the mirror may not hold, and
    /// the router benchmark needs this process's silo anyway.
    /// </summary>
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .WithOptions(ConfigOptions.DisableOptimizationsValidator);
}
