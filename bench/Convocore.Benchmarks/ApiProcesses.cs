using System.Globalization;

namespace Convocore.Benchmarks;

/// <summary>
/// The silo and the web app as processes of their own (Release), on a Redis of the caller's, with an HTTP client for the
/// web app's API; rate limits are lifted, since the benchmarks send far more than a client should, on purpose.
/// </summary>
internal sealed class ApiProcesses : IDisposable
{
    private readonly ServiceProcess silo;
    private readonly ServiceProcess web;

    private ApiProcesses(ServiceProcess silo, ServiceProcess web, HttpClient http)
    {
        this.silo = silo;
        this.web = web;
        Http = http;
    }

    public HttpClient Http { get; }

    public static async Task<ApiProcesses> StartAsync(LocalRedis redis, int maxConnections, TimeSpan? timeout = null)
    {
        var silo = ServiceProcess.Start("Convocore.Silo", new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Orleans__Endpoints__SiloPort"] = ServiceProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans__Endpoints__GatewayPort"] = ServiceProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        });
        var webUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        var web = ServiceProcess.Start("Convocore.Web", new Dictionary<string, string>
        {
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["ASPNETCORE_URLS"] = webUrl,
            ["Convocore__OperatorKey"] = NumberManagementRun.OperatorKey,
            ["Convocore__RateLimits__PerKeyPerSecond"] = "1000000",
            ["Convocore__RateLimits__PerKeyBurst"] = "1000000",
        });
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = maxConnections }) { BaseAddress = new Uri(webUrl) };
        if (timeout is { } t) http.Timeout = t;
        var started = new ApiProcesses(silo, web, http);
        try
        {
            await NumberManagementRun.WaitHealthy(http, web, silo);
            return started;
        }
        catch
        {
            started.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Http.Dispose();
        web.Dispose();
        silo.Dispose();
    }
}
