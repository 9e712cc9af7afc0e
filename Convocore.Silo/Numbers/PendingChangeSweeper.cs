using Convocore.Contracts.Workspaces;

namespace Convocore.Silo.Numbers;

/// <summary>
/// Finishes number changes that a crash interrupted, without waiting for someone to touch the workspace:
/// at start and then periodically, every workspace that wrote down a change and did not clear it is asked
/// to reconcile.
/// </summary>
internal sealed class PendingChangeSweeper(NumberIndex index, IGrainFactory grains, IConfiguration configuration, ILogger<PendingChangeSweeper> logger) : BackgroundService
{
    private TimeSpan Interval => TimeSpan.FromSeconds(configuration.GetValue("Convocore:Numbers:ReconcileIntervalSeconds", 10.0));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                foreach (var workspaceId in await index.PendingWorkspaces())
                {
                    await grains.GetGrain<IWorkspaceGrain>(workspaceId).Reconcile();
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Reconciling interrupted number changes failed; retrying in {Interval}", Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
