using System.Diagnostics;
using System.Net.Http.Headers;

namespace Convocore.Benchmarks;

/// <summary>
/// Whether a workspace's reads wait behind its number changes: 500 adds into one workspace, all sent at once, while
/// four readers ask <c>GET /api/workspace</c> again and again (each waits 20 ms between its reads, as a few busy dashboards
/// and scripts would, so that the reads don't take the adds' CPU) (each request authenticated by its API key). The silo and
/// the web app run as processes of their own (Release), Redis with its append-only file, as in production. Reported:
/// the reads' latency during the burst, and how long the burst took, per run and the medians over the runs.
/// </summary>
internal static class WorkspaceReadsRun
{
    public static async Task<int> Run(int runs, int adds)
    {
        using var redis = new LocalRedis();
        using var processes = await ApiProcesses.StartAsync(redis, maxConnections: adds + 8, TimeSpan.FromSeconds(60));
        var http = processes.Http;

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NumberManagementRun.OperatorKey);
        var workspace = await NumberManagementRun.Post(http, "/api/admin/workspaces", new { name = "bench", plan = "Enterprise" });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", workspace["apiKey"]!.GetValue<string>());
        var agent = (await NumberManagementRun.Post(http, "/api/agents",
            new { title = "Bench", voiceEnabled = true, voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" } }))["id"]!.GetValue<string>();
        var numbers = new NumberManagementRun.NumberSource();

        // Warm-up: JIT, grain activations and connections, for the adds and the reads alike.
        var warm = (await NumberManagementRun.Post(http, "/api/trunks", new { name = "warm-up", region = "NA" }))["id"]!.GetValue<string>();
        await Burst(http, warm, agent, numbers, adds);

        var allReads = new List<double>();
        var bursts = new List<double>();
        var unread = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            // The same burst without readers first: what the adds take on their own, on the machine as it is now.
            var quiet = (await NumberManagementRun.Post(http, "/api/trunks", new { name = $"quiet-{run}", region = "NA" }))["id"]!.GetValue<string>();
            var (_, alone) = await Burst(http, quiet, agent, numbers, adds, readers: 0);
            unread.Add(alone);
            var trunk = (await NumberManagementRun.Post(http, "/api/trunks", new { name = $"run-{run}", region = "NA" }))["id"]!.GetValue<string>();
            var (reads, burst) = await Burst(http, trunk, agent, numbers, adds, readers: 4);
            allReads.AddRange(reads);
            bursts.Add(burst);
            Console.WriteLine($"run {run}: {adds} parallel adds in {alone:F0} ms alone, {burst:F0} ms beside the readers; GET /api/workspace meanwhile: {NumberManagementRun.Summary(reads)}");
        }
        Console.WriteLine($"all {runs} runs: GET /api/workspace during the bursts {NumberManagementRun.Summary(allReads)}; " +
                          $"burst of {adds} adds, median {Median(unread):F0} ms alone, {Median(bursts):F0} ms beside the readers");
        return 0;
    }

    private static async Task<(List<double> Reads, double BurstMs)> Burst(HttpClient http, string trunk, string agent,
        NumberManagementRun.NumberSource numbers, int adds, int readers = 4)
    {
        var reads = new List<double>();
        var done = new CancellationTokenSource();
        var reading = Enumerable.Range(0, readers).Select(_ => Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync("/api/workspace");
                response.EnsureSuccessStatusCode();
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (reads) reads.Add(elapsed);
                await Task.Delay(20);
            }
        })).ToArray();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, adds).Select(_ =>
            NumberManagementRun.Post(http, $"/api/trunks/{trunk}/numbers", new { phoneNumber = numbers.Next(), agentId = agent })));
        var burst = clock.Elapsed.TotalMilliseconds;
        await done.CancelAsync();
        await Task.WhenAll(reading);
        return (reads, burst);
    }

    private static double Median(List<double> values) => NumberManagementRun.Percentile(values, 50);
}
