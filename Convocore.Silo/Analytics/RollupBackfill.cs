using Microsoft.Extensions.Options;

namespace Convocore.Silo.Analytics;

/// <summary>
/// On start, rolls up the calls stored before rollups existed (<see cref="CallStore.Backfill"/>): until a bucket is
/// done its figures miss those calls, afterwards every call counts once. Every silo runs it; they share the cursor.
/// </summary>
internal sealed class RollupBackfill(CallStore store, IOptions<AnalyticsOptions> options, ILogger<RollupBackfill> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        var failures = new FailureStreak(logger, "Rolling up calls stored before rollups", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var rolled = await store.Backfill(stoppingToken);
                if (rolled > 0) logger.LogInformation("Rolled up {Count} calls stored before rollups", rolled);
                return;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                await failures.PauseAfter(ex, stoppingToken);
            }
        }
    }
}
