using System.Diagnostics;
using System.Net;

namespace Convocore.Tests.Infrastructure;

/// <summary>
/// A real web app process (Convocore.Web as built beside these tests), an Orleans client of the cluster found through
/// Redis, so a test can kill it (SIGKILL) with browsers or load on it.
/// </summary>
internal sealed class WebAppProcess
{
    private readonly ObservedProcess process;

    private WebAppProcess(string name, Uri address, ObservedProcess process)
    {
        Name = name;
        Address = address;
        this.process = process;
    }

    public string Name { get; }
    public Uri Address { get; }
    public int Id => process.Id;
    public string Log => process.Log;
    public bool HasExited => process.HasExited;

    /// <param name="clusterId">The cluster to join: the silo processes' default ("convocore"), or a test cluster's id.</param>
    /// <param name="settings">More configuration, environment variable form (<c>Convocore__…</c>).</param>
    public static WebAppProcess Start(RedisServer redis, string name, string clusterId = "convocore", string serviceId = "convocore",
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var address = new Uri($"http://127.0.0.1:{RedisServer.FreePort()}");
        var assembly = SiloProcess.BuiltAssembly("Convocore.Web");
        var environment = new Dictionary<string, string>
        {
            // The dashboard's files are served from wwwroot under the content root: the project's folder, above bin/<configuration>/<framework>.
            ["ASPNETCORE_CONTENTROOT"] = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(assembly)!, "..", "..", "..")),
            ["ASPNETCORE_URLS"] = address.ToString().TrimEnd('/'),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["Orleans__ClusterId"] = clusterId,
            ["Orleans__ServiceId"] = serviceId,
            ["Convocore__OperatorKey"] = ConvocoreSystem.OperatorKey,
            // Tests send requests far faster than a client should, all from 127.0.0.1.
            ["Convocore__RateLimits__PerKeyPerSecond"] = "1000000",
            ["Convocore__RateLimits__PerKeyBurst"] = "1000000",
            ["Convocore__RateLimits__FailedAuthenticationsPerMinute"] = "1000000",
            ["Convocore__RateLimits__SignInsPerMinute"] = "1000000",
            ["Logging__LogLevel__Default"] = "Warning",
        }.Concat(settings ?? new Dictionary<string, string>());
        return new WebAppProcess(name, address, new ObservedProcess(assembly, environment));
    }

    /// <summary>Until /health answers 200: the app is up and a grain call reaches the cluster.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"web {Name} exited with {process.ExitCode}\n{Log}");
            try
            {
                using var response = await http.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            if (clock.Elapsed > timeout) throw new TimeoutException($"web {Name} not healthy after {timeout.TotalSeconds:F0} s\n{Log}");
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: open connections break without a close.</summary>
    public void Kill() => process.Kill();
}
