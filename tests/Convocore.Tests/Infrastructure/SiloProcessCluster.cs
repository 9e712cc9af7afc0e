using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Convocore.Tests.Infrastructure;

/// <summary>
/// Real silo processes (as the AppHost runs them) on a real redis-server and the ARI simulator, and the web app on Kestrel
/// as their Orleans client: for the faults where a process dies, which an in-process test cluster learns of too early.
/// </summary>
internal sealed class SiloProcessCluster : IAsyncDisposable
{
    public const string Application = "convocore";
    private WebApplicationFactory<Convocore.Web.ClusterHealthCheck>? web;

    private SiloProcessCluster(RedisServer redis, AriSimulator.AriSimulator asterisk)
    {
        Redis = redis;
        Asterisk = asterisk;
    }

    public RedisServer Redis { get; }
    public AriSimulator.AriSimulator Asterisk { get; }
    public List<SiloProcess> Silos { get; } = [];
    public Uri WebAddress { get; private set; } = null!;
    public IClusterClient Client => web!.Services.GetRequiredService<IClusterClient>();

    /// <param name="siloSettings">More silo configuration, environment variable form (<c>Convocore__…</c>).</param>
    public static async Task<SiloProcessCluster> StartAsync(int silos, IReadOnlyDictionary<string, string> siloSettings)
    {
        var asterisk = new AriSimulator.AriSimulator(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret" });
        var cluster = new SiloProcessCluster(await RedisServer.StartAsync(), asterisk);
        try
        {
            await asterisk.StartAsync();
            for (var i = 0; i < silos; i++) cluster.Silos.Add(SiloProcess.Start(cluster.Redis, asterisk, $"silo-{i}", siloSettings));
            await asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(90));
            cluster.web = ConvocoreSystem.StartWebApp(cluster.Redis.ConnectionString, "convocore", "convocore", ConvocoreSystem.RateLimitsOutOfTheWay);
            using (var http = cluster.web.CreateClient()) cluster.WebAddress = http.BaseAddress!;
            var management = cluster.Client.GetGrain<IManagementGrain>(0);
            await Numbers.Eventually.True(async () => (await management.GetHosts(onlyActive: true)).Count == silos, $"{silos} silos active", 90);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The silo process that holds the ARI connection now.</summary>
    public async Task<SiloProcess> ConnectionHolder()
    {
        var owner = (await Client.GetGrain<IAsteriskConnectionsGrain>(0).GetAll()).Single().Silo;
        return Silos.Single(s => owner.Contains($":{s.SiloPort}:", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        if (web is not null) await web.DisposeAsync();
        foreach (var silo in Silos) silo.Kill();
        await Asterisk.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
