using System.Globalization;
using Convocore.AriSimulator;
using BenchmarkDotNet.Running;
using Convocore.Benchmarks;
using Convocore.Benchmarks.Micro;
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
//        [--runs 3] [--find-max [--step 250] [--max-rate 20000]]   (--find-max starts at the first of --rates)
//        numbers [--numbers 100000]     number management through the REST API (silo and web as processes)
//        import [--numbers 10000] [--runs 3]   a --numbers-row CSV imported (dry run, apply, again, export) beside one POST per number
//        workspace-reads [--runs 5]     GET /api/workspace while 500 adds into the same workspace are in flight
//        memory --numbers 1000000       silo memory per configured number, routing warm
//        analytics [--volumes 10000,100000,1000000] [--numbers 50] [--requests 5] [--sustain-rate 2000] [--sustain-seconds 600]
//                                       analytics figures per volume beside the record-by-record floor; sustained ingest lag
//        micro [--filter '*E164*']      BenchmarkDotNet micro-benchmarks
//        dialled [--unknown 10000] [--rates 500] [--runs 3] [--directory-cache 20000]
//                                       calls to configured numbers beside random unknown DIDs
//        ari-floor [--url http://127.0.0.1:8088] [--user u] [--password p] [--app floor]
//                                       the ARI floor Stasis app of bench/sipp-load.sh, on a real Asterisk
//        soak [--seconds 600] [--warmup 60] [--interval 10] [--calls 50] [--changes 10] [--reads 20] [--tolerance 10] [--analytics-reads on|off]
//                                       mixed load against silo and web processes, each sampled from outside every interval
//        webhooks [--rates 100,500] [--seconds 10] [--runs 3] [--slow-ms 1000]
//                                       webhook throughput and delivery delay of one silo; own time without, with a fast and a slow receiver
//        [--analytics on|off] [--hangup-after <seconds>] [--tracing on|off] [--hook on|off]   (routing; --hook on: every number asks a loopback routing hook)
// Plays Asterisk (our ARI simulator, real WebSockets on loopback) against a silo in this process, and against the
// floor: a minimal responder on the same ARI client that answers every StasisStart with a fixed continue.
if (args.FirstOrDefault() == "micro")
{
    // BenchmarkDotNet micro-benchmarks, e.g. `-- micro --filter '*E164*'`.
    BenchmarkSwitcher.FromAssembly(typeof(BenchSilo).Assembly).Run(args[1..], MicroConfig.Create());
    return 0;
}
if (args.FirstOrDefault() == "numbers")
{
    var settings = Arguments.Parse(args);
    return await NumberManagementRun.Run(adds: 1000, listSize: 10_000, largeSize: settings.Numbers == 1000 ? 100_000 : settings.Numbers);
}
if (args.FirstOrDefault() == "import")
{
    var settings = Arguments.Parse(args);
    return await ImportRun.Run(rows: settings.Numbers == 1000 ? 10_000 : settings.Numbers, settings.Runs);
}
if (args.FirstOrDefault() == "workspace-reads")
{
    return await WorkspaceReadsRun.Run(Arguments.Parse(args).Runs, adds: 500);
}
if (args.FirstOrDefault() == "ari-floor")
{
    return await AriFloorApp.Run(args);
}
if (args.FirstOrDefault() == "dialled")
{
    string? Option(string name) => Array.IndexOf(args, name) is var at and > 0 && at + 1 < args.Length ? args[at + 1] : null;
    var own = new[] { "--unknown", "--directory-cache" };
    var dialled = Arguments.Parse(args.Where((a, i) => !own.Contains(a) && (i == 0 || !own.Contains(args[i - 1]))).ToArray());
    var unknown = Option("--unknown") is { } u ? int.Parse(u, CultureInfo.InvariantCulture) : 10_000;
    return await DialledRun.Run(unknown, dialled.Rates[0], dialled.Runs, dialled.Numbers, Option("--directory-cache"));
}
if (args.FirstOrDefault() == "soak")
{
    return await SoakRun.Run(SoakSettings.Parse(args));
}
if (args.FirstOrDefault() == "webhooks")
{
    var webhookArgs = args.Where((a, i) => a != "--slow-ms" && (i == 0 || args[i - 1] != "--slow-ms")).ToArray();
    var slowMs = Array.IndexOf(args, "--slow-ms") is var at and > 0 ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : 1000;
    var webhookOptions = Arguments.Parse(webhookArgs);
    return await WebhookRun.Run(webhookOptions.Rates, webhookOptions.Duration, webhookOptions.Runs, slowMs);
}
if (args.FirstOrDefault() == "analytics")
{
    string Arg(string name, string fallback) => Array.IndexOf(args, name) is var at and > 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    int Int(string name, int fallback) => int.Parse(Arg(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
    var volumes = Arg("--volumes", "10000,100000,1000000").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    return await AnalyticsRun.Run(volumes, Int("--numbers", 50), Int("--requests", 5), Int("--sustain-rate", 2000), Int("--sustain-seconds", 600));
}
if (args.FirstOrDefault() == "memory")
{
    return await MemoryRun.Run(Arguments.Parse(args).Numbers);
}
var options = Arguments.Parse(args);
if (options.Command != "routing")
{
    Console.Error.WriteLine("usage: Convocore.Benchmarks routing [--rates 500,1000,2000] [--seconds 10] [--numbers 1000] [--runs 3] [--find-max [--step 250] [--max-rate 20000]] [--analytics on|off] [--hangup-after 1] [--tracing on|off] [--hook on|off] | numbers | memory | micro");
    return 2;
}

using var ownTime = new OwnTime();
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

var siloSettings = BenchSilo.ConnectedTo(asterisk);
siloSettings["Convocore:Analytics:Enabled"] = options.Analytics ? "true" : "false";
// With --hook on, every number asks a routing hook on loopback (Kestrel in this process, answering {} at once: the
// number's own agent), so our own time includes the hook's round trip.
await using var routingHook = options.Hook ? await BenchHook.StartAsync() : null;
if (routingHook is not null)
{
    siloSettings["Convocore:Outbound:AllowPrivateTargets"] = "true";
    siloSettings["Convocore:Outbound:AllowHttp"] = "true";
}
using var host = await BenchSilo.StartAsync(redis, siloSettings, options.Tracing);
var grains = host.Services.GetRequiredService<IGrainFactory>();

var numbers = await BenchSilo.ConfigureNumbers(grains, options.Numbers, hookUrl: routingHook?.Url);
await asterisk.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(TimeSpan.FromSeconds(30));
await using var floor = await Floor.StartAsync(floorAsterisk);

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; numbers configured: {numbers.Count}; " +
    $"analytics {(options.Analytics ? "on" : "off")}; tracing {(options.Tracing ? "on" : "off")}; routing hook {(options.Hook ? "on (loopback, answers at once)" : "off")}; routed calls end {(options.HangupAfter > 0 ? $"{options.HangupAfter} s after continue" : "never")}");
var cold = await LoadRun.Run("cold", asterisk, numbers, Math.Min(500, numbers.Count), TimeSpan.FromSeconds(numbers.Count / (double)Math.Min(500, numbers.Count)), ownTime);
Console.WriteLine($"first call to each number after start: {cold}");
var failed = cold.Errors > 0;
if (options.FindMax)
{
    // Steps the rate up until our first-command p99 (median of the runs) passes 5 ms or calls fail.
    LoadResult? best = null;
    for (var rate = options.Rates[0]; rate <= options.MaxRate; rate += options.Step)
    {
        var (_, ours) = await Compare(rate);
        if (ours.Errors > 0 || ours.FirstP99 > 5) break;
        best = ours;
    }
    Console.WriteLine(best is null
        ? $"highest rate with first-command p99 under 5 ms: none from {options.Rates[0]}/s"
        : $"highest rate with first-command p99 under 5 ms: {best.Rate}/s (p99 {best.FirstP99:F3} ms)");
}
else
{
    foreach (var rate in options.Rates)
    {
        var (_, ours) = await Compare(rate);
        failed |= ours.Errors > 0;
    }
}
var db = host.Services.GetRequiredKeyedService<IConnectionMultiplexer>("redis").GetDatabase();
var recorded = await db.StreamLengthAsync("convocore:calls");
var groups = recorded == 0 ? [] : await db.StreamGroupInfoAsync("convocore:calls");
Console.WriteLine($"call records in the stream: {recorded}; analytics group: " +
    (groups.FirstOrDefault(g => g.Name == "analytics") is { } g ? $"read {g.EntriesRead}, pending {g.PendingMessageCount}, lag {g.Lag}" : "none"));
await host.StopAsync();
return failed ? 1 : 0;

async Task<(LoadResult Floor, LoadResult Ours)> Compare(int rate)
{
    var floors = new List<LoadResult>();
    var ourRuns = new List<LoadResult>();
    for (var run = 1; run <= options.Runs; run++)
    {
        floors.Add(await LoadRun.Run("floor", floorAsterisk, numbers, rate, options.Duration));
        ourRuns.Add(await LoadRun.Run("convocore", asterisk, numbers, rate, options.Duration, ownTime));
        if (options.Runs > 1) Console.WriteLine($"  run {run}: {floors[^1]}\n  run {run}: {ourRuns[^1]}");
    }
    var (floorResult, ours) = (LoadResult.Median(floors), LoadResult.Median(ourRuns));
    Console.WriteLine(floorResult);
    Console.WriteLine(ours);
    Console.WriteLine($"{"",-8} {rate,6}/s first-command p99 ratio to floor: {ours.FirstP99 / floorResult.FirstP99:F2}x; our own time p99 {ours.OwnP99:F3} ms" +
                      (options.Runs > 1 ? $" (medians of {options.Runs} runs)" : ""));
    return (floorResult, ours);
}

internal sealed record Arguments(string Command, int[] Rates, TimeSpan Duration, int Numbers, int Runs, bool FindMax, int Step, int MaxRate,
    bool Analytics, double HangupAfter, bool Tracing, bool Hook)
{
    public static Arguments Parse(string[] args)
    {
        var command = args.FirstOrDefault() ?? "";
        int[] rates = [500, 2000];
        var seconds = 10.0;
        var numbers = 1000;
        var runs = 1;
        var findMax = false;
        var step = 250;
        var maxRate = 20_000;
        var analytics = true;
        var hangupAfter = 0.0;
        var tracing = false;
        var hook = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rates": rates = args[++i].Split(',').Select(int.Parse).ToArray(); break;
                case "--seconds": seconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--numbers": numbers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--find-max": findMax = true; break;
                case "--step": step = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--max-rate": maxRate = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--analytics": analytics = args[++i] != "off"; break;
                case "--hangup-after": hangupAfter = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--tracing": tracing = args[++i] != "off"; break;
                case "--hook": hook = args[++i] != "off"; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        return new Arguments(command, rates, TimeSpan.FromSeconds(seconds), numbers, runs, findMax, step, maxRate, analytics, hangupAfter, tracing, hook);
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
