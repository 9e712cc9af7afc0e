using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Convocore.Benchmarks;

/// <summary>
/// Bulk import through the REST API, silo and web as processes (Release), Redis fsyncing every write: per run a fresh
/// trunk, then a --rows CSV: the dry run, the import applied (202, progress polled until done), the same file again
/// (every row unchanged) and the export; beside it, as the floor, the same number of adds sent one request per number,
/// 32 in parallel (what a client script does without the import), in the same run.
/// </summary>
internal static class ImportRun
{
    public static async Task<int> Run(int rows, int runs)
    {
        using var redis = new LocalRedis();
        using var processes = await ApiProcesses.StartAsync(redis, maxConnections: 64, timeout: TimeSpan.FromMinutes(5));
        var http = processes.Http;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", NumberManagementRun.OperatorKey);
        var workspace = await NumberManagementRun.Post(http, "/api/admin/workspaces", new { name = "bench", plan = "Enterprise" });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", workspace["apiKey"]!.GetValue<string>());
        var agent = (await NumberManagementRun.Post(http, "/api/agents",
            new { title = "Bench", voiceEnabled = true, voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" } }))["id"]!.GetValue<string>();
        var numbers = new NumberManagementRun.NumberSource();

        // Warm-up: JIT and the first activations.
        await Apply(http, Csv(await Trunk(http, "warm-up"), agent, numbers, 500));

        var figures = new List<(double Dry, double Apply, double Again, double Export, double Floor)>();
        for (var run = 1; run <= runs; run++)
        {
            var trunk = await Trunk(http, $"import-{run}");
            var csv = Csv(trunk, agent, numbers, rows);
            var dry = await Timed(() => Send(http, "/api/numbers/import?dryRun=true", csv, HttpStatusCode.OK));
            var (apply, report) = await TimedResult(() => Apply(http, csv));
            var (again, second) = await TimedResult(() => Apply(http, csv));
            var export = await Timed(() => http.GetStringAsync("/api/numbers/export?format=csv"));
            Check(report, "add", rows);
            Check(second, "unchanged", rows);
            var floorTrunk = await Trunk(http, $"floor-{run}");
            var floor = await Timed(() => OneByOne(http, floorTrunk, agent, numbers, rows));
            figures.Add((dry, apply, again, export, floor));
            Console.WriteLine($"  run {run}: dry run {dry:F2} s, import {apply:F2} s, same file again {again:F2} s, export {export:F2} s; floor (one POST per number, 32 in parallel) {floor:F2} s");
        }
        double Median(Func<(double Dry, double Apply, double Again, double Export, double Floor), double> pick) =>
            figures.Select(pick).Order().ElementAt(figures.Count / 2);
        Console.WriteLine($"{rows} rows, medians of {runs} runs: dry run {Median(f => f.Dry):F2} s, import {Median(f => f.Apply):F2} s " +
                          $"({rows / Median(f => f.Apply):F0} rows/s), same file again {Median(f => f.Again):F2} s, export {Median(f => f.Export):F2} s; " +
                          $"floor {Median(f => f.Floor):F2} s ({rows / Median(f => f.Floor):F0} adds/s): import {Median(f => f.Floor) / Median(f => f.Apply):F1}x faster");
        return 0;
    }

    private static async Task<string> Trunk(HttpClient http, string name) =>
        (await NumberManagementRun.Post(http, "/api/trunks", new { name, region = "NA" }))["id"]!.GetValue<string>();

    private static string Csv(string trunk, string agent, NumberManagementRun.NumberSource numbers, int rows)
    {
        var csv = new StringBuilder("phoneNumber,agent,trunk,region,additionalParams\r\n");
        for (var i = 0; i < rows; i++) csv.Append(numbers.Next()).Append(',').Append(agent).Append(',').Append(trunk).Append(",,\"{\"\"row\"\":").Append(i).Append("}\"\r\n");
        return csv.ToString();
    }

    private static async Task<JsonNode> Send(HttpClient http, string path, string csv, HttpStatusCode expected)
    {
        using var response = await http.PostAsync(path, new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<JsonNode> Apply(HttpClient http, string csv)
    {
        var started = await Send(http, "/api/numbers/import?dryRun=false", csv, HttpStatusCode.Accepted);
        while (true)
        {
            var progress = JsonNode.Parse(await http.GetStringAsync($"/api/numbers/import/{started["id"]}"))!;
            if (progress["phase"]!.GetValue<string>() is "done" or "failed") return progress;
            await Task.Delay(50);
        }
    }

    private static void Check(JsonNode report, string status, int rows)
    {
        var matching = report["rows"]!.AsArray().Count(r => r!["status"]!.GetValue<string>() == status);
        if (matching != rows) throw new InvalidOperationException($"expected {rows} rows {status}, got {matching}: {report["summary"]}");
    }

    private static async Task OneByOne(HttpClient http, string trunk, string agent, NumberManagementRun.NumberSource numbers, int count)
    {
        var remaining = count;
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            while (Interlocked.Decrement(ref remaining) >= 0)
                await NumberManagementRun.Post(http, $"/api/trunks/{trunk}/numbers", new { phoneNumber = numbers.Next(), agentId = agent });
        }));
    }

    private static async Task<double> Timed(Func<Task> work)
    {
        var clock = Stopwatch.StartNew();
        await work();
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<(double Seconds, T Result)> TimedResult<T>(Func<Task<T>> work)
    {
        var clock = Stopwatch.StartNew();
        var result = await work();
        return (clock.Elapsed.TotalSeconds, result);
    }
}
