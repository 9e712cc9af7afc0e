using Convocore.Silo;
using Convocore.Silo.Workspaces;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace Convocore.Tests.Infrastructure;

/// <summary>
/// The system under test, built from real parts: a redis-server, a cluster of silos (Orleans TestingHost over
/// TCP, with Redis clustering and Redis grain storage as in production) and the web app on Kestrel, which
/// joins the cluster as an Orleans client through Redis like the deployed one.
/// </summary>
public class ConvocoreSystem : IAsyncLifetime
{
    public const string OperatorKey = "test-operator-key";
    private const string RedisKey = "ConnectionStrings:redis";

    private WebApplicationFactory<Convocore.Web.ClusterHealthCheck>? web;

    protected virtual short InitialSilos => 2;

    /// <summary>How often the sweeper looks for interrupted number changes (it also looks once at start).</summary>
    protected virtual string ReconcileIntervalSeconds => "0.5";

    public RedisServer Redis { get; private set; } = null!;
    public TestCluster Cluster { get; private set; } = null!;
    public IClusterClient Client => Cluster.Client;
    public HttpClient Http { get; private set; } = null!;
    public Uri WebAddress { get; private set; } = null!;

    /// <summary>The running web app's services (its endpoints, for one).</summary>
    internal IServiceProvider WebServices => web!.Services;

    /// <summary>The web app's /health as the operator sees it: every check with its data (503 while not healthy).</summary>
    public async Task<System.Text.Json.Nodes.JsonNode> OperatorHealthAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health") { Headers = { { "Authorization", "Bearer " + OperatorKey } } };
        using var response = await Http.SendAsync(request);
        return System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Extra silo configuration, e.g. the Asterisk servers to connect to.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> SiloSettings => [];

    /// <summary>
    /// Extra web app configuration. By default the rate limits are out of the way: tests send requests far faster than
    /// a client should, all from 127.0.0.1 (RateLimitTests runs with the limits it checks).
    /// </summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> WebSettings => RateLimitsOutOfTheWay;

    internal static IReadOnlyDictionary<string, string?> RateLimitsOutOfTheWay { get; } = new Dictionary<string, string?>
    {
        ["Convocore:RateLimits:PerKeyPerSecond"] = "1000000",
        ["Convocore:RateLimits:PerKeyBurst"] = "1000000",
        ["Convocore:RateLimits:FailedAuthenticationsPerMinute"] = "1000000",
        ["Convocore:RateLimits:SignInsPerMinute"] = "1000000",
    };

    public virtual async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        try
        {
            await StartClusterAsync();
            StartWeb();
        }
        catch
        {
            // xunit does not dispose a fixture whose initialization failed.
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops every silo and starts a fresh cluster against the same Redis: nothing survives but what was stored.</summary>
    public async Task RestartClusterAsync()
    {
        await StopWebAsync();
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await StartClusterAsync();
        StartWeb();
    }

    /// <summary>Kills every silo without a graceful stop (a crash), then starts a fresh cluster on the same Redis.</summary>
    public async Task CrashAndRestartClusterAsync()
    {
        await StopWebAsync();
        foreach (var silo in Cluster.Silos.ToArray())
        {
            await Cluster.KillSiloAsync(silo);
        }
        await Cluster.DisposeAsync();
        await StartClusterAsync();
        StartWeb();
    }

    /// <summary>Calls received by <typeparamref name="TGrain"/>.<paramref name="method"/> on every running silo, so far.</summary>
    internal long GrainCalls<TGrain>(string method) =>
        Cluster.Silos.OfType<InProcessSiloHandle>().Sum(s => s.SiloHost.Services.GetRequiredService<GrainCallCounter>().Count<TGrain>(method));

    /// <summary>The probe of every running silo, to stop number changes at their commit point.</summary>
    internal IEnumerable<TestProbe> Probes =>
        Cluster.Silos.OfType<InProcessSiloHandle>().Select(s => (TestProbe)s.SiloHost.Services.GetRequiredService<NumberChangeProbe>());

    public async Task StopWebAsync()
    {
        Http?.Dispose();
        try
        {
            if (web is not null) await web.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
            // The web app's Orleans client gave up its graceful stop (a request still held in a silo that a crash test is
            // about to kill): the app is stopped all the same.
        }
        web = null;
    }

    private async Task StartClusterAsync()
    {
        var builder = new TestClusterBuilder(InitialSilos);
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.Options.ServiceId = "convocore-tests";
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // As deployed (the test host's silos run as Development): https only, no private targets. WebhookSystem lifts both.
            ["Convocore:Outbound:AllowPrivateTargets"] = "false",
            ["Convocore:Outbound:AllowHttp"] = "false",
        }).AddInMemoryCollection(new Dictionary<string, string?>
        {
            [RedisKey] = Redis.ConnectionString,
            ["Convocore:Numbers:ReconcileIntervalSeconds"] = ReconcileIntervalSeconds,
        }.Concat(SiloSettings)));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    private void StartWeb()
    {
        web = CreateWeb();
        Http = web.CreateClient();
        WebAddress = Http.BaseAddress!;
    }

    /// <summary>Another replica of the web app on the same cluster and Redis, on its own port; the caller disposes it.</summary>
    /// <param name="settings">Configuration beside <see cref="WebSettings"/>, for this replica only.</param>
    internal WebApplicationFactory<Convocore.Web.ClusterHealthCheck> StartAnotherWeb(IEnumerable<KeyValuePair<string, string?>>? settings = null) =>
        CreateWeb(settings);

    private WebApplicationFactory<Convocore.Web.ClusterHealthCheck> CreateWeb(IEnumerable<KeyValuePair<string, string?>>? settings = null) =>
        StartWebApp(Redis.ConnectionString, Cluster.Options.ClusterId, Cluster.Options.ServiceId, WebSettings.Concat(settings ?? []));

    /// <summary>The web app on Kestrel, an Orleans client of the cluster that <paramref name="redis"/> lists; the caller disposes it.</summary>
    internal static WebApplicationFactory<Convocore.Web.ClusterHealthCheck> StartWebApp(string redis, string clusterId, string serviceId,
        IEnumerable<KeyValuePair<string, string?>> settings)
    {
        var factory = new WebApplicationFactory<Convocore.Web.ClusterHealthCheck>().WithWebHostBuilder(host =>
        {
            host.UseSetting(RedisKey, redis);
            host.UseSetting("Orleans:ClusterId", clusterId);
            host.UseSetting("Orleans:ServiceId", serviceId);
            host.UseSetting("Convocore:OperatorKey", OperatorKey);
            foreach (var (key, value) in settings) host.UseSetting(key, value);
            host.UseEnvironment("Testing");
            host.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
            // A crash test stops the web app while a request is held at a commit point: don't wait it out.
            host.ConfigureServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2)));
        });
        factory.UseKestrel();
        factory.StartServer();
        return factory;
    }

    public virtual async Task DisposeAsync()
    {
        await StopWebAsync();
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
        if (Redis is not null) await Redis.DisposeAsync();
    }

    private sealed class SiloConfigurator : IHostConfigurator, ISiloConfigurator
    {
        public void Configure(IHostBuilder hostBuilder) => hostBuilder.ConfigureServices((context, services) =>
        {
            var redis = context.Configuration[RedisKey]!;
            services.AddKeyedSingleton<IConnectionMultiplexer>("redis", (_, _) => ConnectionMultiplexer.Connect(redis));
            services.AddSingleton<NumberChangeProbe, TestProbe>();
            services.AddSingleton<GrainCallCounter>();
            services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<GrainCallCounter>());
            if (TestClock.Find(context.Configuration[TestClock.RetentionSetting]) is { } retentionClock)
                services.AddKeyedSingleton<TimeProvider>(Convocore.Silo.Analytics.CallRetention.ClockKey, retentionClock);
            services.AddConvocoreSilo();
        });

        public void Configure(ISiloBuilder silo)
        {
            var redis = silo.Configuration[RedisKey]!;
            silo.UseRedisClustering(redis);
            silo.AddRedisGrainStorageAsDefault(options => options.ConfigurationOptions = ConfigurationOptions.Parse(redis));
            silo.UseRedisReminderService(options => options.ConfigurationOptions = ConfigurationOptions.Parse(redis));
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client) => client.UseRedisClustering(configuration[RedisKey]!);
    }
}

/// <summary>Lets a test hold a number change at its commit point, as if the silo died there, and let it go on.</summary>
internal sealed class TestProbe : NumberChangeProbe
{
    private static readonly Task Never = new TaskCompletionSource().Task;
    private volatile Hold? hold;

    /// <summary>The number whose next change stops at its commit point (until <see cref="Release"/>); null holds none.</summary>
    public string? HoldNumber
    {
        get => hold?.Number;
        set => hold = value is null ? null : new Hold(value);
    }

    public Task Reached => hold?.Reached.Task ?? Never;

    public void Release() => hold?.Released.TrySetResult();

    public override Task Committed(NumberChangeKind kind, string phoneNumber)
    {
        var current = hold;
        if (current is null || phoneNumber != current.Number) return Task.CompletedTask;
        current.Reached.TrySetResult();
        return current.Released.Task;
    }

    private sealed record Hold(string Number)
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

[CollectionDefinition(Name)]
public sealed class SystemCollection : ICollectionFixture<ConvocoreSystem>
{
    public const string Name = "system";
}
