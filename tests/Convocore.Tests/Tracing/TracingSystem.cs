using System.Collections.Concurrent;
using System.Diagnostics;
using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Convocore.Tests.Tracing;

/// <summary>
/// The silo and the web app as they run in production, both from their own Program (ServiceDefaults, Aspire's Redis
/// client with its tracing, Orleans configured from settings), in this process beside a redis-server and the ARI
/// simulator. Spans are read through OpenTelemetry's in-memory exporter, behind the product's own tracing setup
/// (<see cref="Microsoft.Extensions.Hosting.Tracing.AddConvocoreTracing"/>), listening to Aspire's Redis source too.
/// </summary>
public sealed class TracingSystem : IAsyncLifetime
{
    /// <summary>The source Aspire's Redis client traces commands with.</summary>
    public const string RedisSource = "OpenTelemetry.Instrumentation.StackExchangeRedis";

    private readonly SpanLog spans = new();
    private readonly ConcurrentQueue<(DateTime Started, string Source, string Name)> created = new();
    private TracerProvider? tracing;
    private ActivityListener? everything;
    private WebApplicationFactory<Convocore.Silo.Routing.RoutingMetrics>? silo;
    private WebApplicationFactory<Convocore.Web.ClusterHealthCheck>? web;

    public RedisServer Redis { get; private set; } = null!;
    public AriSimulator.AriSimulator Asterisk { get; } = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret" });
    public Uri WebAddress { get; private set; } = null!;

    /// <summary>Every span exported so far (sampled and ended).</summary>
    public IReadOnlyList<Activity> Spans => spans.Snapshot();

    /// <summary>Every activity started so far, sampled or not: what the sources produced before the sampler chose.</summary>
    public IReadOnlyList<(DateTime Started, string Source, string Name)> Created => created.ToArray();

    public async Task InitializeAsync()
    {
        tracing = Sdk.CreateTracerProviderBuilder()
            .AddConvocoreTracing("Convocore.Tests")
            .AddSource(RedisSource)
            .AddInMemoryExporter(spans)
            .Build();
        everything = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStarted = a => created.Enqueue((a.StartTimeUtc, a.Source.Name, a.OperationName)),
        };
        ActivitySource.AddActivityListener(everything);

        Redis = await RedisServer.StartAsync();
        await Asterisk.StartAsync();
        var clusterId = "traces-" + Guid.NewGuid().ToString("N")[..8];
        silo = new WebApplicationFactory<Convocore.Silo.Routing.RoutingMetrics>().WithWebHostBuilder(host =>
        {
            foreach (var (key, value) in new Dictionary<string, string>
            {
                ["ConnectionStrings:redis"] = Redis.ConnectionString,
                ["Orleans:ClusterId"] = clusterId,
                ["Orleans:ServiceId"] = clusterId,
                ["Orleans:Endpoints:SiloPort"] = RedisServer.FreePort().ToString(),
                ["Orleans:Endpoints:GatewayPort"] = RedisServer.FreePort().ToString(),
                ["Convocore:Asterisk:Servers:0:Name"] = "sim-na",
                ["Convocore:Asterisk:Servers:0:Region"] = "NA",
                ["Convocore:Asterisk:Servers:0:AriUrl"] = Asterisk.BaseUrl.ToString(),
                ["Convocore:Asterisk:Servers:0:Username"] = "convocore",
                ["Convocore:Asterisk:Servers:0:Password"] = "ari-secret",
            })
                host.UseSetting(key, value);
            host.UseEnvironment("Testing");
        });
        _ = silo.Services; // starts the host
        web = ConvocoreSystem.StartWebApp(Redis.ConnectionString, clusterId, clusterId, ConvocoreSystem.RateLimitsOutOfTheWay);
        WebAddress = web.CreateClient().BaseAddress!;
        await Asterisk.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (web is not null) await web.DisposeAsync();
        if (silo is not null) await silo.DisposeAsync();
        everything?.Dispose();
        tracing?.Dispose();
        await Asterisk.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
    }

    /// <summary>The exporter's list, written from every thread that ends a span.</summary>
    private sealed class SpanLog : ICollection<Activity>
    {
        private readonly List<Activity> items = [];

        public IReadOnlyList<Activity> Snapshot()
        {
            lock (items) return items.ToArray();
        }

        public void Add(Activity item)
        {
            lock (items) items.Add(item);
        }

        public void Clear()
        {
            lock (items) items.Clear();
        }

        public bool Contains(Activity item)
        {
            lock (items) return items.Contains(item);
        }

        public void CopyTo(Activity[] array, int arrayIndex)
        {
            lock (items) items.CopyTo(array, arrayIndex);
        }

        public bool Remove(Activity item)
        {
            lock (items) return items.Remove(item);
        }

        public int Count
        {
            get { lock (items) return items.Count; }
        }

        public bool IsReadOnly => false;
        public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
