using System.Globalization;
using Convocore.AriSimulator;
using Convocore.Benchmarks;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Contracts.Workspaces;
using Convocore.Silo;
using Convocore.Silo.Routing.Ari;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

// Usage: dotnet run -c Release --project bench/Convocore.Benchmarks -- routing [--rates 500,2000] [--seconds 10] [--numbers 1000]
//        [--analytics on|off] [--hangup-after <seconds>]
// Plays Asterisk (our ARI simulator, real WebSockets on loopback) against a silo in this process, and against the
// floor: a minimal responder on the same ARI client that answers every StasisStart with a fixed continue.
var options = Arguments.Parse(args);
if (options.Command != "routing")
{
    Console.Error.WriteLine("usage: Convocore.Benchmarks routing [--rates 500,1000,2000] [--seconds 10] [--numbers 1000] [--analytics on|off] [--hangup-after 1]");
    return 2;
}

using var redis = new LocalRedis();
// With --hangup-after, routed calls end (ChannelDestroyed) that long after continue, so call records, and with
// analytics on their ingestion, happen during the run as they would in production.
await using var asterisk = new AriSimulator(new AriSimulatorOptions
{
    Username = "bench", Password = "bench", RecordCommands = false,
    ContinuedCallDuration = options.HangupAfter > 0 ? TimeSpan.FromSeconds(options.HangupAfter) : null,
});
await using var floorAsterisk = new AriSimulator(new AriSimulatorOptions { Username = "bench", Password = "bench", Application = "floor", RecordCommands = false });
await asterisk.StartAsync();
await floorAsterisk.StartAsync();

var silo = Host.CreateApplicationBuilder();
silo.Logging.SetMinimumLevel(LogLevel.Warning);
silo.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Convocore:Asterisk:Servers:0:Name"] = "bench",
    ["Convocore:Asterisk:Servers:0:Region"] = "NA",
    ["Convocore:Asterisk:Servers:0:AriUrl"] = asterisk.BaseUrl.ToString(),
    ["Convocore:Asterisk:Servers:0:Username"] = "bench",
    ["Convocore:Asterisk:Servers:0:Password"] = "bench",
    ["Convocore:Analytics:Enabled"] = options.Analytics ? "true" : "false",
});
silo.Services.AddKeyedSingleton<IConnectionMultiplexer>("redis", (_, _) => ConnectionMultiplexer.Connect(redis.ConnectionString));
silo.UseOrleans(orleans =>
{
    orleans.UseLocalhostClustering();
    orleans.AddRedisGrainStorageAsDefault(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis.ConnectionString));
    orleans.UseInMemoryReminderService();
});
silo.Services.AddConvocoreSilo();
using var host = silo.Build();
await host.StartAsync();
var grains = host.Services.GetRequiredService<IGrainFactory>();

var numbers = await Configure(grains, options.Numbers);
await asterisk.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(TimeSpan.FromSeconds(30));
await using var floor = await Floor.StartAsync(floorAsterisk);

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; numbers configured: {numbers.Count}; " +
    $"analytics {(options.Analytics ? "on" : "off")}; routed calls end {(options.HangupAfter > 0 ? $"{options.HangupAfter} s after continue" : "never")}");
var cold = await LoadRun.Run("cold", asterisk, numbers, Math.Min(500, numbers.Count), TimeSpan.FromSeconds(numbers.Count / (double)Math.Min(500, numbers.Count)));
Console.WriteLine($"first call to each number after start: {cold}");
var failed = cold.Errors > 0;
foreach (var rate in options.Rates)
{
    var floorResult = await LoadRun.Run("floor", floorAsterisk, numbers, rate, options.Duration);
    var ours = await LoadRun.Run("convocore", asterisk, numbers, rate, options.Duration);
    Console.WriteLine(floorResult);
    Console.WriteLine(ours);
    Console.WriteLine($"{"",-8} {rate,6}/s first-command p99 ratio to floor: {ours.FirstP99 / floorResult.FirstP99:F2}x");
    failed |= ours.Errors > 0;
}
var db = host.Services.GetRequiredKeyedService<IConnectionMultiplexer>("redis").GetDatabase();
var recorded = await db.StreamLengthAsync("convocore:calls");
var groups = recorded == 0 ? [] : await db.StreamGroupInfoAsync("convocore:calls");
Console.WriteLine($"call records in the stream: {recorded}; analytics group: " +
    (groups.FirstOrDefault(g => g.Name == "analytics") is { } g ? $"read {g.EntriesRead}, pending {g.PendingMessageCount}, lag {g.Lag}" : "none"));
await host.StopAsync();
return failed ? 1 : 0;

static async Task<IReadOnlyList<string>> Configure(IGrainFactory grains, int count)
{
    var workspace = grains.GetGrain<IWorkspaceGrain>(Convocore.Contracts.Common.Ids.New());
    await workspace.Create("bench", Plan.Enterprise);
    var agent = (await workspace.CreateAgent(new AgentDraft("Bench agent", true, new VoiceConfiguration("openai", "alloy", "en-US")))).Value!;
    var trunk = (await workspace.CreateTrunk(new TrunkDraft("Bench trunk", Region.NA, true, null))).Value!;
    var numbers = Enumerable.Range(0, count).Select(i => "+1555" + (3_000_000 + i).ToString("D7", CultureInfo.InvariantCulture)).ToArray();
    foreach (var chunk in numbers.Chunk(50))
    {
        await Task.WhenAll(chunk.Select(n => workspace.AddNumber(new AddNumber(trunk.Id, n, agent.Id, null, """{"bench":true}"""))));
    }
    return numbers;
}

internal sealed record Arguments(string Command, int[] Rates, TimeSpan Duration, int Numbers, bool Analytics, double HangupAfter)
{
    public static Arguments Parse(string[] args)
    {
        var command = args.FirstOrDefault() ?? "";
        int[] rates = [500, 2000];
        var seconds = 10.0;
        var numbers = 1000;
        var analytics = true;
        var hangupAfter = 0.0;
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--rates": rates = args[i + 1].Split(',').Select(int.Parse).ToArray(); break;
                case "--seconds": seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--numbers": numbers = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--analytics": analytics = args[i + 1] != "off"; break;
                case "--hangup-after": hangupAfter = double.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
            }
        }
        return new Arguments(command, rates, TimeSpan.FromSeconds(seconds), numbers, analytics, hangupAfter);
    }
}

/// <summary>The floor: our ARI client answering every StasisStart with a fixed continue, no lookup.</summary>
internal sealed class Floor : IAsyncDisposable
{
    private readonly AriClient client;
    private readonly Task loop;

    private Floor(AriClient client)
    {
        this.client = client;
        loop = Task.Run(async () =>
        {
            while (await client.Events.WaitToReadAsync())
            {
                while (client.Events.TryRead(out var e))
                {
                    if (e is StasisStart start) _ = client.ContinueAsync(start.Channel.Id, "convocore-agent", "floor", 1);
                }
            }
        });
    }

    public static async Task<Floor> StartAsync(AriSimulator asterisk)
    {
        var client = new AriClient(new AriConnectionSettings(asterisk.BaseUrl, "bench", "bench", "floor"));
        await client.ConnectAsync();
        return new Floor(client);
    }

    public async ValueTask DisposeAsync()
    {
        await client.DisposeAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
