using Orleans.Configuration;
using Convocore.Silo.Analytics;
using Convocore.Silo.Numbers;
using Convocore.Silo.Routing;
using Convocore.Silo.Webhooks;
using Convocore.Silo.Workspaces;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Convocore.Silo;

internal static class SiloServices
{
    /// <summary>How many grains' locations a silo remembers (Orleans' default is 1,000,000).</summary>
    public const string DirectoryCacheSizeSetting = "Convocore:Silo:DirectoryCacheSize";

    /// <summary>What our grains need besides Orleans itself; the tests' silos call this too.</summary>
    public static IServiceCollection AddConvocoreSilo(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Orleans.Serialization.Serializers.IGeneralizedCodec, RedisExceptionCodec>();
        services.AddSingleton<IIncomingGrainCallFilter, StorageFailureFilter>();
        services.AddSingleton<NumberIndex>();
        services.TryAddSingleton<NumberChangeProbe>();
        services.AddHostedService<PendingChangeSweeper>();
        services.AddSingleton<Audit.AuditLog>();
        services.AddHostedService<Audit.AuditOutboxSweeper>();
        services.AddOptions<AsteriskOptions>().BindConfiguration(AsteriskOptions.Section);
        services.AddSingleton<RoutingMetrics>();
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.Section);
        services.AddSingleton<StoredNumbers>();
        services.AddSingleton<RoutingTable>();
        services.AddSingleton<RouteInvalidator>();
        services.AddSingleton<RoutingHookCall>();
        services.AddGrainService<RoutingTableService>();
        services.AddHostedService<RoutingTableFlush>();
        services.AddSingleton<CallRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<CallRecorder>());
        services.AddHostedService<AsteriskConnectionKeeper>();
        services.AddSingleton<TestCalls.TestCallAnnouncer>();
        services.AddHostedService(sp => sp.GetRequiredService<TestCalls.TestCallAnnouncer>());
        // An ARI connection lives on one silo; when that silo crashes, calls go unanswered until membership
        // declares it dead. Probing every second (three misses) brings a takeover within 5 s instead of ~14 s.
        // A silo joining checks it can reach every active member whose heartbeat in the table is fresh: a silo that died
        // alone (nobody left to vote it dead) keeps a replacement from joining until its heartbeat is stale, two publish
        // periods. Orleans' default period, 30 s, held a restarted sole silo back for a minute; 5 s makes it ten seconds.
        services.Configure<ClusterMembershipOptions>(options =>
        {
            options.ProbeTimeout = TimeSpan.FromSeconds(1);
            options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        });
        // Orleans remembers where each grain it looked up lives, deactivated ones too, up to a million by default. A caller
        // dialling random numbers activates a phone number grain per number and would grow that cache by ~300 bytes each
        // (BENCHMARKS.md, unknown DIDs): bounded to what a busy cluster's active grains need.
        services.AddOptions<GrainDirectoryOptions>().Configure<IConfiguration>((options, configuration) =>
            options.CacheSize = configuration.GetValue(DirectoryCacheSizeSetting, 20_000));
        services.AddOptions<AnalyticsOptions>().BindConfiguration(AnalyticsOptions.Section);
        services.AddSingleton<CallStore>();
        services.AddSingleton<CallFigures>();
        services.AddHostedService<RollupBackfill>();
        services.TryAddKeyedSingleton(CallRetention.ClockKey, (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.AddSingleton<CallRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<CallRetention>());
        services.AddSingleton<CallsEndedSignal>();
        services.AddHostedService(sp => sp.GetRequiredService<CallsEndedSignal>());
        services.AddHostedService<CallIngester>();
        services.AddConvocoreWebhooks();
        return services;
    }
}
