using Convocore.Contracts.Workspaces;

namespace Convocore.Silo.Numbers;

/// <summary>
/// Finishes number changes that a crash interrupted, without waiting for someone to touch the workspace:
/// at start and then periodically, every workspace that wrote down a change and did not clear it is asked
/// to reconcile. A workspace that cannot be reconciled (its grain fails to activate, its state is unreadable) is
/// logged and tried again on the next pass; the others are reconciled all the same.
/// </summary>
internal sealed class PendingChangeSweeper(NumberIndex index, IGrainFactory grains, IConfiguration configuration, ILogger<PendingChangeSweeper> logger) : BackgroundService
{
    /// <summary>Workspaces whose last reconciliation failed: each is logged once until it reconciles again.</summary>
    private readonly HashSet<string> failing = new(StringComparer.Ordinal);

    private TimeSpan Interval => TimeSpan.FromSeconds(configuration.GetValue("Convocore:Numbers:ReconcileIntervalSeconds", 10.0));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        var failures = new FailureStreak(logger, "Looking for interrupted number changes", TimeSpan.FromMilliseconds(500), interval);
        await failures.RunEvery(interval, SweepOnce, stoppingToken);
    }

    private async Task SweepOnce(CancellationToken stoppingToken)
    {
        var pending = await index.PendingWorkspaces();
        foreach (var workspaceId in pending)
        {
            if (stoppingToken.IsCancellationRequested) return;
            try
            {
                await grains.GetGrain<IWorkspaceGrain>(workspaceId).Reconcile();
                if (failing.Remove(workspaceId)) logger.LogInformation("Workspace {WorkspaceId} reconciled again", workspaceId);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                if (failing.Add(workspaceId))
                    logger.LogWarning(ex, "Reconciling the number changes of workspace {WorkspaceId} failed; trying again every {Interval}", workspaceId, Interval);
                else
                    logger.LogDebug("Reconciling workspace {WorkspaceId} failed again: {Error}", workspaceId, ex.GetType().Name);
            }
        }
        failing.IntersectWith(pending);
    }
}
