using System.Text.Json;
using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Convocore.Silo.Analytics;
using Convocore.Silo.Routing;
using Convocore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using StackExchange.Redis;

namespace Convocore.Tests.Analytics;

/// <summary>
/// The system with two simulated Asterisk servers (one per region), so their two connections may sit on different
/// silos, each silo an ingester of the call stream. Asterisk's clock can be stopped at chosen times, and retention
/// reads its own clock, which a test can move ahead.
/// </summary>
public sealed class AnalyticsSystem : ConvocoreSystem
{
    public const string Application = "convocore";

    public TestClock AsteriskClock { get; } = new();
    public TestClock RetentionClock { get; } = new();

    public AriSimulator.AriSimulator Na { get; }
    public AriSimulator.AriSimulator Eu { get; }

    public AnalyticsSystem()
    {
        Na = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret", Clock = AsteriskClock, AsteriskId = "02:fc:00:00:00:0a" });
        Eu = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret", Clock = AsteriskClock, AsteriskId = "02:fc:00:00:00:0e" });
    }

    protected override IEnumerable<KeyValuePair<string, string?>> SiloSettings => new Dictionary<string, string?>
    {
        ["Convocore:Asterisk:Servers:0:Name"] = "analytics-na",
        ["Convocore:Asterisk:Servers:0:Region"] = "NA",
        ["Convocore:Asterisk:Servers:0:AriUrl"] = Na.BaseUrl.ToString(),
        ["Convocore:Asterisk:Servers:0:Username"] = "convocore",
        ["Convocore:Asterisk:Servers:0:Password"] = "ari-secret",
        ["Convocore:Asterisk:Servers:1:Name"] = "analytics-eu",
        ["Convocore:Asterisk:Servers:1:Region"] = "EU",
        ["Convocore:Asterisk:Servers:1:AriUrl"] = Eu.BaseUrl.ToString(),
        ["Convocore:Asterisk:Servers:1:Username"] = "convocore",
        ["Convocore:Asterisk:Servers:1:Password"] = "ari-secret",
        ["Convocore:Analytics:TrimInterval"] = "00:00:00.5",
        ["Convocore:Analytics:PollInterval"] = "00:00:00.05",
        ["Convocore:Analytics:ClaimAfter"] = "00:00:02",
        [TestClock.RetentionSetting] = RetentionClock.Id,
    };

    public override async Task InitializeAsync()
    {
        await Na.StartAsync();
        await Eu.StartAsync();
        await base.InitializeAsync();
        await Na.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(30));
        await Eu.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(30));
    }

    private ConnectionMultiplexer? redis;

    public IDatabase Db => (redis ??= ConnectionMultiplexer.Connect(Redis.ConnectionString)).GetDatabase();

    public IReadOnlyList<System.Diagnostics.Metrics.IMeterFactory> SiloMeterFactories =>
        Cluster.Silos.OfType<InProcessSiloHandle>().Select(s => s.SiloHost.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()).ToArray();

    private T SiloService<T>() where T : notnull =>
        Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services.GetRequiredService<T>();

    /// <summary>Writes crafted records the way the call path does, through a silo's recorder into the stream.</summary>
    public void Record(params CallRecord[] calls)
    {
        var recorder = SiloService<CallRecorder>();
        foreach (var call in calls) recorder.Record(call);
    }

    /// <summary>Every call record in the stream, oldest first.</summary>
    public async Task<List<CallRecord>> StreamedCalls()
    {
        var entries = await Db.StreamRangeAsync("convocore:calls", "-", "+");
        // Finished calls only: a routed call also has an "opened" entry, for the webhooks.
        return entries.Where(e => !e["call"].IsNull).Select(e => JsonSerializer.Deserialize((string)e["call"]!, CallRecordJsonContext.Default.CallRecord)!).ToList();
    }

    public Task<long> TrimNow() => SiloService<CallRetention>().TrimOnce();

    /// <summary>Rolls up what the backfill finds, as a silo does on start.</summary>
    public Task<long> BackfillNow() => SiloService<CallStore>().Backfill();

    public override async Task DisposeAsync()
    {
        redis?.Dispose();
        await base.DisposeAsync();
        await Na.DisposeAsync();
        await Eu.DisposeAsync();
    }
}

/// <summary>One system for every analytics test class: they share Asterisk's clock, so they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class AnalyticsCollection : ICollectionFixture<AnalyticsSystem>
{
    public const string Name = "analytics";
}
