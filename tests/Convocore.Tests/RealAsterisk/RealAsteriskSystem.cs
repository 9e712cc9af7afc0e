using System.Net;
using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.RealAsterisk;

/// <summary>
/// The system (redis-server, 2 silos, web app) with its silos pointed at the real Asterisk of the
/// <see cref="AsteriskFixture"/> (ARI http://127.0.0.1:8088, convocore/convocore). As a class fixture it starts only on
/// first use (<see cref="StartAsync"/>), after the test has checked that Asterisk runs: without Asterisk nothing starts.
/// </summary>
public class RealAsteriskSystem : ConvocoreSystem
{
    public const string ServerName = "real-na";

    private readonly SemaphoreSlim gate = new(1, 1);
    private bool started;
    private bool disposed;
    private Exception? startFailure;

    /// <summary>Takes effect at the next (re)start of the cluster: the older ARI routes (HTTP commands, one request per variable).</summary>
    public bool ForceOldRoutes { get; set; }

    protected override IEnumerable<KeyValuePair<string, string?>> SiloSettings => new Dictionary<string, string?>
    {
        ["Convocore:Asterisk:Servers:0:Name"] = ServerName,
        ["Convocore:Asterisk:Servers:0:Region"] = "NA",
        ["Convocore:Asterisk:Servers:0:AriUrl"] = $"http://{AsteriskFixture.SipHost}:{AsteriskFixture.AriPort}/",
        ["Convocore:Asterisk:Servers:0:Username"] = AsteriskFixture.AriUser,
        ["Convocore:Asterisk:Servers:0:Password"] = AsteriskFixture.AriPassword,
        ["Convocore:Asterisk:ForceHttpTransport"] = ForceOldRoutes ? "true" : "false",
        ["Convocore:Asterisk:ForcePerVariableSet"] = ForceOldRoutes ? "true" : "false",
    };

    /// <summary>Nothing yet: xunit calls this before the test could see whether Asterisk is there.</summary>
    public override Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Starts the system once (later calls only wait), then waits until the silo's Stasis app is connected.</summary>
    public async Task<string> StartAsync(AsteriskFixture asterisk)
    {
        await gate.WaitAsync();
        try
        {
            if (startFailure is not null) throw new InvalidOperationException("the system failed to start earlier", startFailure);
            if (!started)
            {
                started = true;
                try
                {
                    await base.InitializeAsync();
                }
                catch (Exception ex)
                {
                    startFailure = ex;
                    throw;
                }
            }
        }
        finally
        {
            gate.Release();
        }
        return await WaitUntilConnectedAsync(asterisk);
    }

    /// <summary>Restarts the cluster with <see cref="ForceOldRoutes"/> set as given and waits for the new connection.</summary>
    public async Task<string> RestartWithRoutesAsync(AsteriskFixture asterisk, bool forceOldRoutes)
    {
        ForceOldRoutes = forceOldRoutes;
        await RestartClusterAsync();
        return await WaitUntilConnectedAsync(asterisk, expectRoutes: forceOldRoutes ? "Http commands, PerVariable variables over Http" : null);
    }

    /// <summary>
    /// Waits until both sides agree that the app is connected: the web /health says this server is Connected (with
    /// <paramref name="expectRoutes"/> in it, if given) and Asterisk knows the application (<c>GET /ari/applications/convocore</c>
    /// is 404 until a WebSocket for it is open). Returns the health text of the server.
    /// </summary>
    public async Task<string> WaitUntilConnectedAsync(AsteriskFixture asterisk, TimeSpan? timeout = null, string? expectRoutes = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        string? health = null;
        var application = HttpStatusCode.NotFound;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                health = await AsteriskHealthAsync();
                using (var response = await asterisk.Ari.GetAsync($"applications/{AsteriskFixture.AppName}"))
                    application = response.StatusCode;
                if (health is not null && health.StartsWith("Connected", StringComparison.Ordinal) &&
                    (expectRoutes is null || health.Contains(expectRoutes, StringComparison.Ordinal)) &&
                    application == HttpStatusCode.OK)
                {
                    return health;
                }
                last = null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                last = ex; // Asterisk or the web app still coming up
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"the silo's Stasis app did not connect: health '{health}', GET applications/{AsteriskFixture.AppName} " +
                                   $"{(int)application}{(last is null ? "" : $", last error {last.Message}")}");
    }

    /// <summary><c>checks.asterisk.data.real-na</c> of the web app's /health, e.g.
    /// "Connected (silo S127.0.0.1:...; WebSocket commands, Bulk variables over Http, Asterisk 23.4.1)".</summary>
    public async Task<string?> AsteriskHealthAsync()
    {
        var health = await OperatorHealthAsync(); // 503 while Degraded: the body still says why
        return health["checks"]?["asterisk"]?["data"]?[ServerName]?.GetValue<string>();
    }

    public override async Task DisposeAsync()
    {
        if (!started || disposed) return;
        disposed = true;
        await base.DisposeAsync();
    }
}
