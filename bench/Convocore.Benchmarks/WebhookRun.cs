using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Convocore.AriSimulator;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Contracts.Webhooks;
using Convocore.Contracts.Workspaces;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Convocore.Benchmarks;

/// <summary>
/// Webhooks on one in-process silo, calls from the ARI simulator (each ends 0.2 s after continue: call.started,
/// call.routed and call.ended per call). Per rate and run, three workspaces take the same load one after the other:
/// one without a webhook, one whose receiver (Kestrel, loopback) answers at once, one whose receiver takes
/// <c>slowMs</c> per request. Reported: our own time per subject (a slow receiver must not move it), and for the fast
/// receiver the events delivered per second and the delay from each event's time to its arrival (p50, p99).
/// </summary>
internal static class WebhookRun
{
    public static async Task<int> Run(int[] rates, TimeSpan duration, int runs, int slowMs)
    {
        using var ownTime = new OwnTime();
        using var redis = new LocalRedis();
        await using var asterisk = new AriSimulator.AriSimulator(new AriSimulatorOptions
        {
            Username = "bench", Password = "bench", RecordCommands = false, ContinuedCallDuration = TimeSpan.FromSeconds(0.2),
        });
        await asterisk.StartAsync();
        var settings = BenchSilo.ConnectedTo(asterisk);
        settings["Convocore:Outbound:AllowPrivateTargets"] = "true";
        settings["Convocore:Outbound:AllowHttp"] = "true";
        settings["Convocore:Webhooks:Timeout"] = "00:00:05";
        using var host = await BenchSilo.StartAsync(redis, settings);
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        await using var fast = await Receiver.StartAsync(0);
        await using var slow = await Receiver.StartAsync(slowMs);
        var none = await Workspace(grains, "none", 200, 0, null);
        var quick = await Workspace(grains, "fast", 200, 200, fast.Url);
        var held = await Workspace(grains, "slow", 200, 400, slow.Url);
        await asterisk.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(TimeSpan.FromSeconds(30));
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; one silo; " +
                          $"calls end 0.2 s after continue; slow receiver {slowMs} ms per request; {runs} run(s) of {duration.TotalSeconds} s per rate");
        await LoadRun.Run("warm-up", asterisk, none.Concat(quick).Concat(held).ToArray(), 200, TimeSpan.FromSeconds(3), ownTime);
        await fast.Drain(TimeSpan.FromSeconds(30));

        foreach (var rate in rates)
        {
            var results = new Dictionary<string, List<LoadResult>> { ["none"] = [], ["fast"] = [], ["slow"] = [] };
            var delivery = new List<(double Rate, double P50, double P99, int Lost)>();
            for (var run = 1; run <= runs; run++)
            {
                results["none"].Add(await LoadRun.Run("none", asterisk, none, rate, duration, ownTime));
                fast.Reset();
                var started = Stopwatch.GetTimestamp();
                results["fast"].Add(await LoadRun.Run("fast", asterisk, quick, rate, duration, ownTime));
                var expected = results["fast"][^1].Answered * 3;
                await fast.Until(expected, TimeSpan.FromSeconds(120));
                var (count, p50, p99, last) = fast.Figures();
                delivery.Add((count / Stopwatch.GetElapsedTime(started, last).TotalSeconds, p50, p99, expected - count));
                results["slow"].Add(await LoadRun.Run("slow", asterisk, held, rate, duration, ownTime));
                Console.WriteLine($"  run {run}: {results["none"][^1]}\n  run {run}: {results["fast"][^1]}\n  run {run}: {results["slow"][^1]}");
                Console.WriteLine($"  run {run}: fast receiver: {count} events, {delivery[^1].Rate:F0}/s delivered, delay p50 {p50:F1} ms p99 {p99:F1} ms, missing {expected - count}");
            }
            foreach (var (subject, list) in results) Console.WriteLine(LoadResult.Median(list));
            double Mid(Func<(double Rate, double P50, double P99, int Lost), double> f) => delivery.Select(f).Order().ElementAt(delivery.Count / 2);
            Console.WriteLine($"{"",-8} {rate,6}/s webhooks: {Mid(d => d.Rate):F0} events/s delivered by one silo, delay p50 {Mid(d => d.P50):F1} ms, " +
                              $"p99 {Mid(d => d.P99):F1} ms (medians of {runs}); own time p99 without / fast / slow receiver: " +
                              $"{LoadResult.Median(results["none"]).OwnP99:F3} / {LoadResult.Median(results["fast"]).OwnP99:F3} / {LoadResult.Median(results["slow"]).OwnP99:F3} ms");
        }
        await host.StopAsync();
        return 0;
    }

    private static async Task<IReadOnlyList<string>> Workspace(IGrainFactory grains, string name, int count, int offset, string? url)
    {
        var id = Ids.New();
        var workspace = grains.GetGrain<IWorkspaceGrain>(id);
        await workspace.Create(name, Plan.Enterprise);
        var agent = (await workspace.CreateAgent(new AgentDraft("Bench agent", true, new VoiceConfiguration("openai", "alloy", "en-US")))).Value!;
        var trunk = (await workspace.CreateTrunk(new TrunkDraft("Bench trunk", Region.NA, true, null))).Value!;
        var numbers = BenchSilo.Numbers(count, offset);
        foreach (var chunk in numbers.Chunk(50))
            await Task.WhenAll(chunk.Select(n => workspace.AddNumber(new AddNumber(trunk.Id, n, agent.Id, null, null))));
        if (url is not null)
        {
            var added = await grains.GetGrain<IWebhooksGrain>(id).Add(url, ["call.started", "call.routed", "call.ended"]);
            if (added.Failure is { } failure) throw new InvalidOperationException(failure.Detail);
        }
        return numbers;
    }

    /// <summary>Kestrel on loopback: notes when each event arrived and how long after its createdAt.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication app;
        private ConcurrentBag<(double DelayMs, long At)> arrivals = [];
        private readonly ConcurrentDictionary<string, byte> seen = new();

        private Receiver(WebApplication app) => this.app = app;

        public string Url => app.Urls.First() + "/hooks";

        public static async Task<Receiver> StartAsync(int delayMs)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            Receiver? receiver = null;
            app.MapPost("/hooks", async (HttpRequest request) =>
            {
                using var body = await JsonDocument.ParseAsync(request.Body);
                var now = DateTimeOffset.UtcNow;
                var id = body.RootElement.GetProperty("id").GetString()!;
                if (receiver!.seen.TryAdd(id, 0))
                    receiver.arrivals.Add(((now - body.RootElement.GetProperty("createdAt").GetDateTimeOffset()).TotalMilliseconds, Stopwatch.GetTimestamp()));
                if (delayMs > 0) await Task.Delay(delayMs);
                return Results.Ok();
            });
            await app.StartAsync();
            receiver = new Receiver(app);
            return receiver;
        }

        public void Reset() => arrivals = [];

        public async Task Until(int count, TimeSpan patience)
        {
            var deadline = DateTime.UtcNow + patience;
            while (arrivals.Count < count && DateTime.UtcNow < deadline) await Task.Delay(50);
        }

        public async Task Drain(TimeSpan quiet)
        {
            var last = -1;
            var deadline = DateTime.UtcNow + quiet;
            while (DateTime.UtcNow < deadline && arrivals.Count != last)
            {
                last = arrivals.Count;
                await Task.Delay(1000);
            }
        }

        public (int Count, double P50, double P99, long Last) Figures()
        {
            var all = arrivals.ToArray();
            var delays = all.Select(a => a.DelayMs).Order().ToArray();
            return (all.Length, LoadRun.Percentile(delays, 50), LoadRun.Percentile(delays, 99), all.Length == 0 ? Stopwatch.GetTimestamp() : all.Max(a => a.At));
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
