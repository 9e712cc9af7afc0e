using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Convocore.Benchmarks;

/// <summary>
/// Number management through the REST API: the silo and the web app as processes of their own (Release), Redis
/// writing every command to its append-only file, as in production. Measures add-number latency, listing a trunk of
/// --list numbers page by page, and adding into a trunk of --large numbers against adding into an empty one.
/// </summary>
internal static class NumberManagementRun
{
    private const string OperatorKey = "bench-operator-key";

    public static async Task<int> Run(int adds, int listSize, int largeSize)
    {
        using var redis = new LocalRedis();
        using var silo = ServiceProcess.Start("Convocore.Silo", new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Orleans__Endpoints__SiloPort"] = ServiceProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans__Endpoints__GatewayPort"] = ServiceProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        });
        var webUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        using var web = ServiceProcess.Start("Convocore.Web", new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ASPNETCORE_URLS"] = webUrl,
            ["Convocore__OperatorKey"] = OperatorKey,
            // Seeding sends hundreds of adds a second with one key: far above a client's limit, on purpose.
            ["Convocore__RateLimits__PerKeyPerSecond"] = "1000000",
            ["Convocore__RateLimits__PerKeyBurst"] = "1000000",
        });
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(webUrl) };
        await WaitHealthy(http, web, silo);

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        var workspace = await Post(http, "/api/admin/workspaces", new { name = "bench", plan = "Enterprise" });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", workspace["apiKey"]!.GetValue<string>());
        var agent = (await Post(http, "/api/agents", new { title = "Bench", voiceEnabled = true, voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" } }))["id"]!.GetValue<string>();
        async Task<string> Trunk(string name) => (await Post(http, "/api/trunks", new { name, region = "NA" }))["id"]!.GetValue<string>();
        var numbers = new NumberSource();

        // Warm-up: the first requests pay for JIT and grain activation.
        var warm = await Trunk("warm-up");
        await Sequential(http, warm, agent, numbers, 200);

        var empty = await Trunk("empty");
        var addLatencies = await Sequential(http, empty, agent, numbers, adds);
        Console.WriteLine($"add number, empty trunk, one at a time: {Summary(addLatencies)}");

        var listed = await Trunk("list");
        Console.WriteLine($"seeding {listSize} numbers: {await Seed(http, listed, agent, numbers, listSize):F0} adds/s (32 in parallel)");
        foreach (var pageSize in new[] { 100, 1000 })
        {
            var (pages, total, elapsed) = await ListAll(http, listed, pageSize);
            Console.WriteLine($"list {total} numbers, pages of {pageSize}: {pages.Count} pages in {elapsed.TotalMilliseconds:F0} ms; per page {Summary(pages)}");
        }

        var large = await Trunk("large");
        Console.WriteLine($"seeding {largeSize} numbers: {await Seed(http, large, agent, numbers, largeSize):F0} adds/s (32 in parallel)");
        var emptyAgain = await Trunk("empty-2");
        var intoEmpty = new List<double>(adds);
        var intoLarge = new List<double>(adds);
        for (var i = 0; i < adds; i++)
        {
            // Interleaved, so drift in the machine's load hits both alike.
            intoEmpty.Add(await TimedAdd(http, emptyAgain, agent, numbers.Next()));
            intoLarge.Add(await TimedAdd(http, large, agent, numbers.Next()));
        }
        Console.WriteLine($"add number into an empty trunk:            {Summary(intoEmpty)}");
        Console.WriteLine($"add number into a {largeSize}-number trunk: {Summary(intoLarge)}");
        Console.WriteLine($"p99 ratio large/empty: {Percentile(intoLarge, 99) / Percentile(intoEmpty, 99):F2}x, p50 ratio {Percentile(intoLarge, 50) / Percentile(intoEmpty, 50):F2}x");
        return 0;
    }

    internal static async Task WaitHealthy(HttpClient http, ServiceProcess web, ServiceProcess silo)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/health")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(90))
                throw new TimeoutException($"web not healthy after 90 s\n--- web ---\n{web.Log}\n--- silo ---\n{silo.Log}");
            await Task.Delay(250);
        }
    }

    internal static async Task<JsonNode> Post(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<double> TimedAdd(HttpClient http, string trunk, string agent, string number)
    {
        var started = Stopwatch.GetTimestamp();
        await Post(http, $"/api/trunks/{trunk}/numbers", new { phoneNumber = number, agentId = agent });
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private static async Task<List<double>> Sequential(HttpClient http, string trunk, string agent, NumberSource numbers, int count)
    {
        var latencies = new List<double>(count);
        for (var i = 0; i < count; i++) latencies.Add(await TimedAdd(http, trunk, agent, numbers.Next()));
        return latencies;
    }

    private static async Task<double> Seed(HttpClient http, string trunk, string agent, NumberSource numbers, int count)
    {
        var clock = Stopwatch.StartNew();
        var remaining = count;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0) await TimedAdd(http, trunk, agent, numbers.Next());
        }));
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<(List<double> Pages, int Total, TimeSpan Elapsed)> ListAll(HttpClient http, string trunk, int pageSize)
    {
        var pages = new List<double>();
        var total = 0;
        string? cursor = null;
        var clock = Stopwatch.StartNew();
        do
        {
            var started = Stopwatch.GetTimestamp();
            var page = JsonNode.Parse(await http.GetStringAsync($"/api/trunks/{trunk}/numbers?limit={pageSize}" +
                                                                (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))))!;
            pages.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            total += page["items"]!.AsArray().Count;
            cursor = page["nextCursor"]?.GetValue<string>();
        } while (cursor is not null);
        return (pages, total, clock.Elapsed);
    }

    private static string Summary(List<double> latencies) =>
        $"n={latencies.Count} p50 {Percentile(latencies, 50):F2} ms, p90 {Percentile(latencies, 90):F2} ms, p99 {Percentile(latencies, 99):F2} ms, max {latencies.Max():F2} ms";

    private static double Percentile(IEnumerable<double> values, double p) => LoadRun.Percentile(values.Order().ToArray(), p);

    /// <summary>Distinct valid numbers: +1 555 followed by seven digits.</summary>
    private sealed class NumberSource
    {
        private int next = 1_000_000;
        public string Next() => "+1555" + Interlocked.Increment(ref next).ToString("D7", CultureInfo.InvariantCulture);
    }
}
