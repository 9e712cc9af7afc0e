using Convocore.Contracts.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Convocore.Web;

/// <summary>
/// Each Asterisk server's ARI connection as the silos hold it. No server configured is not a fault (the
/// system runs without telephony), but it is said; a configured server that is not connected is Degraded.
/// </summary>
internal sealed class AsteriskHealthCheck(IClusterClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<AsteriskConnectionStatus> connections;
        try
        {
            connections = await client.GetGrain<IAsteriskConnectionsGrain>(0).GetAll().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Degraded("connection state unknown: " + ex.GetType().Name);
        }
        if (connections.Count == 0) return HealthCheckResult.Healthy("no Asterisk server configured: no Asterisk is connected");

        var data = connections.ToDictionary(c => c.Server, c => (object)$"{c.State} (silo {c.Silo}{(c.Routes is null ? "" : "; " + c.Routes)})");
        var down = connections.Where(c => c.State != AsteriskConnectionState.Connected).Select(c => c.Server).ToArray();
        return down.Length == 0
            ? HealthCheckResult.Healthy($"{connections.Count} Asterisk server(s) connected", data)
            : HealthCheckResult.Degraded("not connected: " + string.Join(", ", down), data: data);
    }
}
