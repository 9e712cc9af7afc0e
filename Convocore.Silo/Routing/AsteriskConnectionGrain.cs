using Convocore.Contracts.Routing;
using Convocore.Silo.TestCalls;
using Microsoft.Extensions.Options;

namespace Convocore.Silo.Routing;

[Alias("convocore.asterisk-connection")]
internal interface IAsteriskConnectionGrain : IGrainWithIntegerKey
{
    /// <summary>Keeps this server's connection alive where the grain lives, and says how it is.</summary>
    Task<AsteriskConnectionStatus> Ensure();

    /// <summary>Places a test call through this server (<see cref="StasisConnection.PlaceTestCall"/>); false while not connected.</summary>
    Task<bool> PlaceTestCall(string callId, string phoneNumber, string? trunkKey);
}

/// <summary>
/// Asterisk gives an application's events to one WebSocket only, so one grain per configured server (keyed by
/// its index) owns the connection: Orleans keeps exactly one activation in the cluster, and when its silo dies
/// the next <see cref="Ensure"/> from any silo activates it, and the connection, on a survivor.
/// </summary>
internal sealed class AsteriskConnectionGrain(
    IOptions<AsteriskOptions> options,
    RoutingTable table,
    RoutingMetrics metrics,
    CallRecorder recorder,
    TestCallAnnouncer testCalls,
    RoutingHookCall hooks,
    ILogger<AsteriskConnectionGrain> logger) : Grain, IAsteriskConnectionGrain
{
    private StasisConnection? app;
    private AsteriskServerOptions? server;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var index = (int)this.GetPrimaryKeyLong();
        if (index < options.Value.Servers.Count)
        {
            server = options.Value.Servers[index];
            app = new StasisConnection(server, options.Value, table, metrics, recorder, testCalls, hooks, logger);
            app.Start();
        }
        return Task.CompletedTask;
    }

    public Task<AsteriskConnectionStatus> Ensure()
    {
        DelayDeactivation(TimeSpan.FromMinutes(10));
        var routes = app?.Routes is { } r ? $"{r.Transport} commands, {r.Variables} variables over {r.VariablesTransport}, Asterisk {r.ServerVersion}" : null;
        return Task.FromResult(new AsteriskConnectionStatus(
            server?.DisplayName ?? "unconfigured", RuntimeIdentity, app?.State ?? AsteriskConnectionState.Disconnected, routes));
    }

    public Task<bool> PlaceTestCall(string callId, string phoneNumber, string? trunkKey) =>
        app is null ? Task.FromResult(false) : app.PlaceTestCall(callId, phoneNumber, trunkKey);

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (app is not null) await app.DisposeAsync();
    }
}

/// <summary>Runs on every silo: asks each server's connection grain to be alive, every second.</summary>
internal sealed class AsteriskConnectionKeeper(
    IOptions<AsteriskOptions> options,
    IGrainFactory grains,
    IClusterMembershipService membership,
    ILogger<AsteriskConnectionKeeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var servers = options.Value.Servers.Count;
        if (servers == 0)
        {
            logger.LogInformation("No Asterisk server is configured (Convocore:Asterisk:Servers); no calls will be routed");
            return;
        }
        // A silo declared dead may have held a connection: look again at once rather than at the next tick.
        using var membershipChanged = new SemaphoreSlim(0);
        _ = WatchMembership(membershipChanged, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            for (var index = 0; index < servers; index++)
            {
                try
                {
                    await grains.GetGrain<IAsteriskConnectionGrain>(index).Ensure();
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The silo may still be joining, or the owner just died: the next round tries again.
                    logger.LogDebug(ex, "Keeping Asterisk connection {Index} alive failed", index);
                }
            }
            try
            {
                await membershipChanged.WaitAsync(Interval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WatchMembership(SemaphoreSlim membershipChanged, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                membershipChanged.Release();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

[Orleans.Concurrency.StatelessWorker]
internal sealed class AsteriskConnectionsGrain(IOptions<AsteriskOptions> options) : Grain, IAsteriskConnectionsGrain
{
    public async Task<IReadOnlyList<AsteriskConnectionStatus>> GetAll() =>
        await Task.WhenAll(Enumerable.Range(0, options.Value.Servers.Count)
            .Select(index => GrainFactory.GetGrain<IAsteriskConnectionGrain>(index).Ensure()));
}
