using System.Diagnostics;
using Orleans.Concurrency;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace Convocore.Silo.Routing;

/// <summary>One per silo (an Orleans grain service): forgets entries of that silo's <see cref="RoutingTable"/>.</summary>
[Alias("convocore.routing-table-service")]
internal interface IRoutingTableService : IGrainService
{
    [AlwaysInterleave]
    Task Forget(RoutingTableKind kind, string key);
}

internal sealed class RoutingTableService(GrainId id, Orleans.Runtime.Silo silo, ILoggerFactory loggers, RoutingTable table)
    : GrainService(id, silo, loggers), IRoutingTableService
{
    public Task Forget(RoutingTableKind kind, string key)
    {
        table.Forget(kind, key);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Tells every silo's routing table that an entry changed, and returns once each has forgotten it: the grains that own
/// numbers, agents and trunks call it after their state write and before they answer, which is what makes a change
/// reach the very next call on any silo. A silo that does not answer is asked again until it does or membership
/// declares it dead (a dead silo holds no Asterisk connection); past <see cref="GiveUpAfter"/> the change is
/// acknowledged anyway, logged, and the entry lifetime bounds how long that silo may route the old way.
/// </summary>
internal sealed class RouteInvalidator(
    IServiceProvider services,
    IClusterMembershipService membership,
    RoutingMetrics metrics,
    ILogger<RouteInvalidator> logger) : GrainServiceClient<IRoutingTableService>(services)
{
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Longer than membership takes to declare a crashed silo dead (about 3 s with 1 s probes).</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Stores a change of the grain that owns <paramref name="key"/>, then (when <paramref name="forgetAfter"/>) has every
    /// table forget the entry. The call path's lookups interleave with a change, so one may have read the new value while
    /// it was being stored: a write that fails runs <paramref name="undo"/> and has every table forget what it read.
    /// </summary>
    public async Task Store(RoutingTableKind kind, string key, Func<Task> write, Action undo, bool forgetAfter = true)
    {
        try
        {
            await write();
        }
        catch
        {
            undo();
            await ForgetEverywhere(kind, key);
            throw;
        }
        if (forgetAfter) await ForgetEverywhere(kind, key);
    }

    public async Task ForgetEverywhere(RoutingTableKind kind, string key)
    {
        var started = Stopwatch.GetTimestamp();
        var silos = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status is not SiloStatus.Dead and not SiloStatus.None)
            .Select(m => m.SiloAddress)
            .ToArray();
        await Task.WhenAll(silos.Select(silo => ForgetOn(silo, kind, key)));
        metrics.Invalidated(started, kind switch
        {
            RoutingTableKind.Number => "number",
            RoutingTableKind.Agent => "agent",
            RoutingTableKind.Hook => "routing_hook",
            _ => "trunk",
        });
    }

    private async Task ForgetOn(SiloAddress silo, RoutingTableKind kind, string key)
    {
        var giveUp = DateTime.UtcNow + GiveUpAfter;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await GetGrainService(silo).Forget(kind, key).WaitAsync(AttemptTimeout);
                return;
            }
            catch (Exception ex)
            {
                if (IsGone(silo)) return;
                if (DateTime.UtcNow >= giveUp)
                {
                    logger.LogError(
                        "Silo {Silo} did not confirm forgetting a changed {Kind} after {Attempts} attempts ({Error}); it may route calls the old way for up to the routing table's entry lifetime",
                        silo, kind, attempt, ex.GetType().Name);
                    return;
                }
                await Task.Delay(RetryPause);
            }
        }
    }

    private bool IsGone(SiloAddress silo) =>
        !membership.CurrentSnapshot.Members.TryGetValue(silo, out var member) || member.Status is SiloStatus.Dead;
}

/// <summary>
/// Empties this silo's routing table whenever membership declares a silo dead. A grain whose silo crashed between its
/// state write and the end of its <see cref="RouteInvalidator.ForgetEverywhere"/> left tables that may still hold the
/// old answer (its caller got an error, not an acknowledgement, but the change is stored and is completed by the
/// workspace's settling); after the flush every table asks the grains again.
/// </summary>
internal sealed class RoutingTableFlush(IClusterMembershipService membership, RoutingTable table, ILogger<RoutingTableFlush> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var dead = DeadSilos(membership.CurrentSnapshot);
        var failures = new FailureStreak(logger, "Following membership for the routing table", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
                {
                    failures.Succeeded();
                    var nowDead = DeadSilos(snapshot);
                    if (nowDead.IsSubsetOf(dead)) continue;
                    dead = nowDead;
                    table.Clear();
                    logger.LogInformation("A silo was declared dead: the routing table starts afresh from the grains");
                }
                return;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // An update missed meanwhile may have been a death.
                table.Clear();
                await failures.PauseAfter(ex, stoppingToken);
            }
        }
    }

    private static HashSet<SiloAddress> DeadSilos(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
}
