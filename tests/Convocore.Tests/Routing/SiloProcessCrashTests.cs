using System.Diagnostics;
using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Convocore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Convocore.Tests.Routing;

/// <summary>
/// Two real silo processes, as the AppHost runs them, and the one holding the ARI connection killed with SIGKILL:
/// nothing in it gets to say goodbye, so the takeover rests on Orleans' failure detection alone.
/// </summary>
public sealed class SiloProcessCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Application = "convocore";
    private readonly AriSimulator.AriSimulator asterisk = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret" });
    private readonly List<SiloProcess> silos = [];
    private RedisServer redis = null!;
    private IHost? client;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        await asterisk.StartAsync();
    }

    [Fact]
    public async Task When_the_silo_process_holding_the_connection_is_killed_another_takes_it_over_within_5_seconds()
    {
        silos.Add(SiloProcess.Start(redis, asterisk, "a"));
        silos.Add(SiloProcess.Start(redis, asterisk, "b"));
        await asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(60));
        var cluster = await ConnectClientAsync();
        var management = cluster.GetGrain<IManagementGrain>(0);
        await Numbers.Eventually.True(async () => (await management.GetHosts(onlyActive: true)).Count == 2, "both silos active", 60);
        var owner = (await cluster.GetGrain<IAsteriskConnectionsGrain>(0).GetAll()).Single().Silo;
        var victim = silos.Single(s => owner.Contains($":{s.SiloPort}:"));

        var clock = Stopwatch.StartNew();
        victim.Kill();
        await asterisk.WaitForEventConnectionCountAsync(Application, 0).WaitAsync(TimeSpan.FromSeconds(10));
        await asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(60));
        var takeover = clock.Elapsed;
        output.WriteLine($"takeover after {takeover.TotalMilliseconds:F0} ms");

        var outcome = await asterisk.PlaceCall("+15550009999", "+15550001111").Outcome.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(CallOutcomeKind.HungUp, outcome.Kind);
        Assert.Equal("unallocated", outcome.HangupReason);
        Assert.True(takeover < TimeSpan.FromSeconds(5), $"the connection came back after {takeover.TotalSeconds:F1} s");
    }

    private async Task<IClusterClient> ConnectClientAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.UseOrleansClient(orleans => orleans
            .UseRedisClustering(redis.ConnectionString)
            .Configure<Orleans.Configuration.ClusterOptions>(o => (o.ClusterId, o.ServiceId) = ("convocore", "convocore")));
        client = builder.Build();
        await client.StartAsync();
        return client.Services.GetRequiredService<IClusterClient>();
    }

    public async Task DisposeAsync()
    {
        if (client is not null)
        {
            try { await client.StopAsync(TimeSpan.FromSeconds(5)); } catch (OperationCanceledException) { }
            client.Dispose();
        }
        foreach (var silo in silos)
        {
            silo.Kill();
            output.WriteLine($"--- silo {silo.Name} ---\n{silo.Log}");
        }
        await asterisk.DisposeAsync();
        await redis.DisposeAsync();
    }
}
