using Convocore.Contracts.Audit;
using Convocore.Contracts.Webhooks;
using Convocore.Contracts.Workspaces;
using Convocore.Silo.Agents;
using Convocore.Silo.Trunks;

namespace Convocore.Silo.Audit;

/// <summary>
/// Copies the audit entries a crash left in grain states (between a change's write and its copy to the log): every grain
/// marked in the outbox set is asked to flush, which unmarks it. Also how a mark left after a normal change goes.
/// </summary>
internal sealed class AuditOutboxSweeper(AuditLog log, IGrainFactory grains, IConfiguration configuration, ILogger<AuditOutboxSweeper> logger) : BackgroundService
{
    public const string Agent = "agent";
    public const string Trunk = "trunk";
    public const string Workspace = "workspace";
    public const string ApiKeys = "keys";
    public const string Webhooks = "webhooks";

    private TimeSpan Interval => TimeSpan.FromSeconds(configuration.GetValue("Convocore:Audit:SweepIntervalSeconds", 10.0));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = Interval;
        var failures = new FailureStreak(logger, "Copying audit entries left in grain states", TimeSpan.FromMilliseconds(500), interval);
        await failures.RunEvery(interval, SweepOnce, stoppingToken);
    }

    private async Task SweepOnce(CancellationToken stoppingToken)
    {
        foreach (var member in await log.Marked())
        {
            if (stoppingToken.IsCancellationRequested) return;
            var split = member.IndexOf('|');
            if (split < 0) continue;
            var key = member[(split + 1)..];
            IAuditedGrain? grain = member[..split] switch
            {
                Agent => grains.GetGrain<IAgentWriter>(key),
                Trunk => grains.GetGrain<ITrunkWriter>(key),
                Workspace => grains.GetGrain<IWorkspaceGrain>(key),
                ApiKeys => grains.GetGrain<IApiKeysGrain>(key),
                Webhooks => grains.GetGrain<IWebhooksGrain>(key),
                _ => null,
            };
            if (grain is null) continue;
            try
            {
                await grain.FlushAudit();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug("Flushing the audit entries of {Grain} failed: {Error}", member, ex.GetType().Name);
            }
        }
    }
}
