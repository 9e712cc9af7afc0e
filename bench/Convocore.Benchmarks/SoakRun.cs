using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Convocore.AriSimulator;

namespace Convocore.Benchmarks;

/// <param name="AnalyticsReads">
/// Whether the dashboard reads include GET /api/analytics, whose default range (30 days) makes the silo read every call
/// the workspace had in it: its cost, in time and in transient memory, grows with the call log (RELIABILITY.md, "Soak").
/// </param>
internal sealed record SoakSettings(TimeSpan Duration, TimeSpan WarmUp, TimeSpan Interval, int CallsPerSecond, int ChangesPerSecond,
    int ReadsPerSecond, double Tolerance, bool AnalyticsReads)
{
    public static SoakSettings Parse(string[] args)
    {
        var settings = new SoakSettings(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10), 50, 10, 20, 0.10, true);
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--analytics-reads")
            {
                settings = settings with { AnalyticsReads = args[++i] != "off" };
                continue;
            }
            var value = double.Parse(args[++i], CultureInfo.InvariantCulture);
            settings = args[i - 1] switch
            {
                "--seconds" => settings with { Duration = TimeSpan.FromSeconds(value) },
                "--warmup" => settings with { WarmUp = TimeSpan.FromSeconds(value) },
                "--interval" => settings with { Interval = TimeSpan.FromSeconds(value) },
                "--calls" => settings with { CallsPerSecond = (int)value },
                "--changes" => settings with { ChangesPerSecond = (int)value },
                "--reads" => settings with { ReadsPerSecond = (int)value },
                "--tolerance" => settings with { Tolerance = value / 100 },
                _ => throw new ArgumentException($"unknown option {args[i - 1]}"),
            };
        }
        return settings;
    }
}

/// <summary>
/// Mixed load for a long while against the silo and the web app as processes of their own (as the AppHost runs them), Redis
/// writing every command to its append-only file: calls through the ARI simulator (in this process), number adds,
/// reassignments and deletes and the dashboard's reads through the REST API. Every interval each process is sampled from
/// outside (<see cref="ProcessSampler"/>); after the warm-up every figure must stay flat: the lowest of its last third of
/// samples within the tolerance of the lowest of its first third. Exits 1 when a figure grew or anything failed.
/// </summary>
internal static class SoakRun
{
    private const string OperatorKey = "bench-operator-key";

    public static async Task<int> Run(SoakSettings settings)
    {
        using var redis = new LocalRedis();
        // Routed calls end 2 s after continue, so their ends and records flow as in production.
        await using var asterisk = new AriSimulator.AriSimulator(new AriSimulatorOptions
        {
            Username = "bench", Password = "bench", RecordCommands = false, ContinuedCallDuration = TimeSpan.FromSeconds(2),
        });
        await asterisk.StartAsync();
        using var silo = ServiceProcess.Start("Convocore.Silo", new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Orleans__Endpoints__SiloPort"] = ServiceProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans__Endpoints__GatewayPort"] = ServiceProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Convocore__Asterisk__Servers__0__Name"] = "soak",
            ["Convocore__Asterisk__Servers__0__Region"] = "NA",
            ["Convocore__Asterisk__Servers__0__AriUrl"] = asterisk.BaseUrl.ToString(),
            ["Convocore__Asterisk__Servers__0__Username"] = "bench",
            ["Convocore__Asterisk__Servers__0__Password"] = "bench",
        });
        var webUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        using var web = ServiceProcess.Start("Convocore.Web", new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ASPNETCORE_URLS"] = webUrl,
            ["Convocore__OperatorKey"] = OperatorKey,
            // One key sends every request of the load: far above a client's limit, on purpose.
            ["Convocore__RateLimits__PerKeyPerSecond"] = "1000000",
            ["Convocore__RateLimits__PerKeyBurst"] = "1000000",
        });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = new Uri(webUrl), Timeout = TimeSpan.FromSeconds(30) };
        await NumberManagementRun.WaitHealthy(http, web, silo);
        await asterisk.WaitForEventConnectionCountAsync("convocore", 1).WaitAsync(TimeSpan.FromSeconds(60));

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        var workspace = await NumberManagementRun.Post(http, "/api/admin/workspaces", new { name = "soak", plan = "Enterprise" });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", workspace["apiKey"]!.GetValue<string>());
        var voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" };
        var agents = new[]
        {
            (await NumberManagementRun.Post(http, "/api/agents", new { title = "Soak one", voiceEnabled = true, voice }))["id"]!.GetValue<string>(),
            (await NumberManagementRun.Post(http, "/api/agents", new { title = "Soak two", voiceEnabled = true, voice }))["id"]!.GetValue<string>(),
        };
        var trunk = (await NumberManagementRun.Post(http, "/api/trunks", new { name = "Soak", region = "NA" }))["id"]!.GetValue<string>();
        var called = Enumerable.Range(0, 200).Select(i => "+1555" + (4_000_000 + i).ToString("D7", CultureInfo.InvariantCulture)).ToArray();
        foreach (var number in called)
            await NumberManagementRun.Post(http, $"/api/trunks/{trunk}/numbers", new { phoneNumber = number, agentId = agents[0] });

        Console.WriteLine($"soak: {settings.Duration.TotalSeconds:F0} s (warm-up {settings.WarmUp.TotalSeconds:F0} s), each process sampled every " +
                          $"{settings.Interval.TotalSeconds:F0} s; load: calls {settings.CallsPerSecond}/s to {called.Length} numbers (1 in 10 to one of 100 unknown " +
                          $"numbers; routed calls end 2 s after continue), number changes {settings.ChangesPerSecond}/s (add, reassign, delete in turn over 100 numbers), " +
                          $"dashboard reads {settings.ReadsPerSecond}/s ({(settings.AnalyticsReads ? "with" : "without")} /api/analytics); machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine($"{"t",5} {"",-8} | {"silo WS",9} {"heap",8} {"thr",4} {"fds",4} | {"web WS",9} {"heap",8} {"thr",4} {"fds",4} | " +
                          $"{"calls",7} {"routed",7} {"refused",7} {"failed",6} | {"changes",7} {"err",4} | {"reads",6} {"err",4}");

        var counts = new Counts();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var load = Task.WhenAll(
            Calls(asterisk, called, settings.CallsPerSecond, counts, stop.Token),
            Changes(http, trunk, agents, settings.ChangesPerSecond, counts, stop.Token),
            Reads(http, trunk, settings.ReadsPerSecond, settings.AnalyticsReads, counts, stop.Token));

        var samples = new List<(ProcessSample Silo, ProcessSample Web)>();
        var failed = false;
        for (var next = settings.Interval; next <= settings.Duration; next += settings.Interval)
        {
            if (next > clock.Elapsed) await Task.Delay(next - clock.Elapsed);
            if (silo.HasExited || web.HasExited)
            {
                Console.WriteLine($"a process exited: silo {silo.HasExited}, web {web.HasExited}\n--- silo ---\n{silo.Log}\n--- web ---\n{web.Log}");
                failed = true;
                break;
            }
            var at = clock.Elapsed;
            var sample = (await ProcessSampler.Sample(silo.Id, at), await ProcessSampler.Sample(web.Id, at));
            var warm = at >= settings.WarmUp;
            if (warm && samples.Count == 0)
                counts.FailuresInWarmUp = counts.CallsFailed + counts.ChangeErrors + counts.ReadErrors;
            if (warm) samples.Add(sample);
            Console.WriteLine($"{at.TotalSeconds,5:F0} {(warm ? "" : "warm-up"),-8} | {Figures(sample.Item1)} | {Figures(sample.Item2)} | " +
                              $"{counts.Calls,7} {counts.Routed,7} {counts.Refused,7} {counts.CallsFailed,6} | {counts.Changes,7} {counts.ChangeErrors,4} | " +
                              $"{counts.Reads,6} {counts.ReadErrors,4}");
        }
        await stop.CancelAsync();
        await load;
        // Calls placed in the last instants get their answer, and routed ones their end.
        await Task.Delay(TimeSpan.FromSeconds(5));

        Console.WriteLine($"load: {counts.Calls} calls ({counts.Routed} routed, {counts.Refused} refused as unallocated, {counts.CallsFailed} failed, " +
                          $"{counts.Calls - counts.Routed - counts.Refused - counts.CallsFailed} without an answer 5 s after the load stopped); " +
                          $"{counts.Changes} number changes ({counts.ChangeErrors} errors); {counts.Reads} dashboard reads ({counts.ReadErrors} errors); " +
                          $"failures during the warm-up: {counts.FailuresInWarmUp}" +
                          (counts.FailedBy.IsEmpty ? "" : $"; failed calls: {string.Join(", ", counts.FailedBy.Select(f => $"{f.Value} {f.Key}"))}"));
        if (samples.Count < 2)
        {
            Console.WriteLine("verdict: not enough samples after the warm-up");
            return 1;
        }
        Console.WriteLine($"after the warm-up ({samples.Count} samples from {samples[0].Silo.At.TotalSeconds:F0} s to {samples[^1].Silo.At.TotalSeconds:F0} s); " +
                          $"first and last: the lowest sample of the first and of the last third (a sample is pushed up by what passes through: what survives a full GC in the silo swings by 3 MiB with the calls in flight, a thread pool thread comes and goes; a leak lifts the floor); " +
                          $"flat = last within {settings.Tolerance:P0} of first:");
        foreach (var (process, pick) in new (string, Func<(ProcessSample Silo, ProcessSample Web), ProcessSample>)[] { ("silo", s => s.Silo), ("web", s => s.Web) })
        {
            foreach (var (figure, value, unit) in new (string, Func<ProcessSample, double>, string)[]
                     {
                         ("working set", s => s.WorkingSetBytes / 1048576.0, "MiB"),
                         ("live heap after a full GC", s => s.LiveHeapBytes / 1048576.0, "MiB"),
                         ("threads", s => s.Threads, ""),
                         ("handles (fds)", s => s.Handles, ""),
                     })
            {
                var series = samples.Select(s => value(pick(s))).ToArray();
                var (first, last, max) = (Start(series), End(series), series.Max());
                var change = (last - first) / first;
                var flat = change <= settings.Tolerance;
                failed |= !flat;
                Console.WriteLine($"  {process,-4} {figure,-24} first {first,8:F1} {unit,-3} last {last,8:F1} {unit,-3} max {max,8:F1} {unit,-3} " +
                                  $"change {change,7:+0.0%;-0.0%} {(flat ? "flat" : "GROWING")}");
            }
        }
        var unanswered = counts.Calls - counts.Routed - counts.Refused - counts.CallsFailed;
        failed |= counts.CallsFailed + counts.ChangeErrors + counts.ReadErrors - counts.FailuresInWarmUp > 0 || unanswered > 0;
        Console.WriteLine($"verdict: {(failed ? "FAILED" : "flat, nothing failed")}");
        return failed ? 1 : 0;
    }

    // The floor of each third: what a process holds shows in its lowest samples, while a sample can only be pushed up by
    // what is passing through (a batch in flight when the sampler's collection ran, a thread the pool adds for a moment).
    // A leak lifts the floor; a spike does not move it.
    private static double Start(double[] series) => series.Take(Math.Max(1, series.Length / 3)).Min();

    private static double End(double[] series) => series.TakeLast(Math.Max(1, series.Length / 3)).Min();

    private static string Figures(ProcessSample s) =>
        $"{s.WorkingSetBytes / 1048576.0,5:F1} MiB {s.LiveHeapBytes / 1048576.0,4:F1} MiB {s.Threads,4} {s.Handles,4}";

    private sealed class Counts
    {
        public int Calls, Routed, Refused, CallsFailed, Changes, ChangeErrors, Reads, ReadErrors;
        /// <summary>At the end of the warm-up: failures until then (cold lookups on a busy machine may pass the 2 s decision bound) do not count.</summary>
        public int FailuresInWarmUp;
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> FailedBy = new();
    }

    private static async Task Calls(AriSimulator.AriSimulator asterisk, string[] numbers, int rate, Counts counts, CancellationToken stop)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var clock = Stopwatch.StartNew();
        long placed = 0;
        var unknown = 0;
        while (!stop.IsCancellationRequested)
        {
            for (var due = (long)(clock.Elapsed.TotalSeconds * rate); placed < due; placed++)
            {
                // Unknown numbers from a pool of 100: each is looked up by its grain, which stays active (Orleans' collection
                // age is 15 minutes) as the configured ones do, so the set of activations stops growing within the warm-up.
                var number = placed % 10 == 9 ? "+1555" + (8_000_000 + unknown++ % 100).ToString("D7", CultureInfo.InvariantCulture) : numbers[placed % numbers.Length];
                Interlocked.Increment(ref counts.Calls);
                _ = asterisk.PlaceCall(number, "+15550000000").Outcome.ContinueWith(outcome =>
                {
                    var result = outcome.Result;
                    if (result.Kind == CallOutcomeKind.Continued) Interlocked.Increment(ref counts.Routed);
                    else if (result.Kind == CallOutcomeKind.HungUp && result.HangupReason == "unallocated") Interlocked.Increment(ref counts.Refused);
                    else
                    {
                        Interlocked.Increment(ref counts.CallsFailed);
                        counts.FailedBy.AddOrUpdate($"{result.Kind} {result.HangupReason}".Trim(), 1, (_, n) => n + 1);
                    }
                }, TaskContinuationOptions.ExecuteSynchronously);
            }
            try { await pace.WaitForNextTickAsync(stop); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>A number added, reassigned to the other agent, deleted; the next one of a pool of 100: the workspace does not grow.</summary>
    private static async Task Changes(HttpClient http, string trunk, string[] agents, int rate, Counts counts, CancellationToken stop)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / rate));
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var number = "+1555" + (6_000_000 + i % 100).ToString("D7", CultureInfo.InvariantCulture);
            var path = $"/api/trunks/{trunk}/numbers/{Uri.EscapeDataString(number)}";
            foreach (var change in new Func<Task<HttpResponseMessage>>[]
                     {
                         () => http.PostAsJsonAsync($"/api/trunks/{trunk}/numbers", new { phoneNumber = number, agentId = agents[0] }),
                         () => http.PatchAsync(path, JsonContent.Create(new { agentId = agents[1] }, new MediaTypeHeaderValue("application/merge-patch+json"))),
                         () => http.DeleteAsync(path),
                     })
            {
                try { await pace.WaitForNextTickAsync(stop); } catch (OperationCanceledException) { return; }
                await Count(change, counts, isChange: true);
            }
        }
    }

    /// <summary>What an open dashboard reads: its workspace, trunks, agents, a trunk's numbers, the analytics and the call log.</summary>
    private static async Task Reads(HttpClient http, string trunk, int rate, bool analytics, Counts counts, CancellationToken stop)
    {
        string[] paths = ["/api/workspace", "/api/trunks", "/api/agents", $"/api/trunks/{trunk}/numbers?limit=1000", "/api/calls?limit=50", .. analytics ? ["/api/analytics"] : Array.Empty<string>()];
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / rate));
        for (var i = 0; ; i++)
        {
            try { await pace.WaitForNextTickAsync(stop); } catch (OperationCanceledException) { return; }
            var path = paths[i % paths.Length];
            await Count(() => http.GetAsync(path), counts, isChange: false);
        }
    }

    private static async Task Count(Func<Task<HttpResponseMessage>> request, Counts counts, bool isChange)
    {
        Interlocked.Increment(ref isChange ? ref counts.Changes : ref counts.Reads);
        try
        {
            using var response = await request();
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref isChange ? ref counts.ChangeErrors : ref counts.ReadErrors);
                Console.WriteLine($"  {response.RequestMessage!.Method} {response.RequestMessage.RequestUri!.PathAndQuery}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Interlocked.Increment(ref isChange ? ref counts.ChangeErrors : ref counts.ReadErrors);
            Console.WriteLine($"  request failed: {e.Message}");
        }
    }
}
