using System.Collections.Concurrent;
using System.Security.Claims;
using Convocore.Web.Dashboard;
using Microsoft.AspNetCore.SignalR;

namespace Convocore.Web.Live;

/// <summary>
/// The live connections open on this web instance, with the credential each was authorized by. A hub connection is
/// authorized once, when it opens: without this, a dashboard would go on hearing about its workspace after its key was
/// revoked or its session ended. Every <see cref="CheckEvery"/> the credentials are checked again, and the connections
/// of one that ended are closed (the page then finds its session gone and shows the sign-in).
/// </summary>
internal sealed class LiveConnections(IClusterClient cluster, DashboardSessionStore sessions, ILogger<LiveConnections> logger) : BackgroundService
{
    public static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, HubCallerContext> open = new();

    public void Opened(HubCallerContext connection) => open[connection.ConnectionId] = connection;

    public void Closed(HubCallerContext connection) => open.TryRemove(connection.ConnectionId, out _);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(CheckEvery, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stoppingToken.IsCancellationRequested) return;
            try
            {
                await CloseEnded();
                failing = false;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The cluster or Redis is away: keep the connections and check again next time.
                if (!failing) logger.LogWarning(ex, "Checking the credentials of live connections failed; retrying every {Interval}", CheckEvery);
                failing = true;
            }
        }
    }

    private async Task CloseEnded()
    {
        var byCredential = open.Values.GroupBy(c => (Key: c.User?.FindFirstValue(Api.ApiKeyAuthenticationHandler.KeyIdClaim),
            Session: c.User?.FindFirstValue(DashboardSessionStore.SessionIdClaim)));
        foreach (var connections in byCredential)
        {
            var user = connections.First().User!;
            var live = await DashboardSession.IsLive(cluster, user)
                       && (connections.Key.Session is not { } session || await sessions.IsOpen(session));
            if (live) continue;
            foreach (var connection in connections)
            {
                connection.Abort();
                open.TryRemove(connection.ConnectionId, out _);
            }
        }
    }
}
