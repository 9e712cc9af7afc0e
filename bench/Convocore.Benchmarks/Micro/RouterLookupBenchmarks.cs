using BenchmarkDotNet.Attributes;
using Convocore.Silo.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Convocore.Benchmarks.Micro;

/// <summary>
/// The router's decision for a warm configured number (from the silo's routing table) and for an unknown one (the
/// table keeps no misses: a call to the phone number grain), called as the Stasis app calls it.
/// </summary>
public class RouterLookupBenchmarks
{
    private LocalRedis redis = null!;
    private IHost silo = null!;
    private RoutingTable table = null!;
    private IReadOnlyList<string> numbers = null!;
    private int next;

    [GlobalSetup]
    public async Task Setup()
    {
        redis = new LocalRedis();
        silo = await BenchSilo.StartAsync(redis, new Dictionary<string, string?>());
        table = silo.Services.GetRequiredService<RoutingTable>();
        numbers = await BenchSilo.ConfigureNumbers(silo.Services.GetRequiredService<IGrainFactory>(), 1000);
        foreach (var number in numbers) await table.Route(number, null);
    }

    [Benchmark]
    public async ValueTask<bool> Route_configured_number() =>
        (await table.Route(numbers[next++ % numbers.Count], null)).Number is not null;

    [Benchmark]
    public async ValueTask<bool> Route_unknown_number() =>
        (await table.Route("+15559999999", null)).Number is not null;

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await silo.StopAsync();
        silo.Dispose();
        redis.Dispose();
    }
}
