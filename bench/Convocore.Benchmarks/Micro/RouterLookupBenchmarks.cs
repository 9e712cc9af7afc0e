using BenchmarkDotNet.Attributes;
using Convocore.Silo.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convocore.Benchmarks.Micro;

/// <summary>
/// The router's decision for a warm configured number and for an unknown one, called as the Stasis app calls it:
/// from inside the silo, through the grain factory (number grain, then agent and trunk grains).
/// </summary>
public class RouterLookupBenchmarks
{
    private LocalRedis redis = null!;
    private IHost silo = null!;
    private IGrainFactory grains = null!;
    private IReadOnlyList<string> numbers = null!;
    private int next;

    [GlobalSetup]
    public async Task Setup()
    {
        redis = new LocalRedis();
        silo = await BenchSilo.StartAsync(redis, new Dictionary<string, string?>());
        grains = silo.Services.GetRequiredService<IGrainFactory>();
        numbers = await BenchSilo.ConfigureNumbers(grains, 1000);
        foreach (var number in numbers) await grains.GetGrain<ICallRouterGrain>(0).Route(number, null);
    }

    [Benchmark]
    public async Task<bool> Route_configured_number() =>
        (await grains.GetGrain<ICallRouterGrain>(0).Route(numbers[next++ % numbers.Count], null)).Assignment is not null;

    [Benchmark]
    public async Task<bool> Route_unknown_number() =>
        (await grains.GetGrain<ICallRouterGrain>(0).Route("+15559999999", null)).Assignment is not null;

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await silo.StopAsync();
        silo.Dispose();
        redis.Dispose();
    }
}
