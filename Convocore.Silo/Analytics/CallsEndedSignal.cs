using System.Threading.Channels;
using Convocore.Contracts.Routing;
using Convocore.Contracts.Workspaces;

namespace Convocore.Silo.Analytics;

/// <summary>
/// Tells each workspace's dashboards that calls of theirs have ended (<see cref="WorkspaceChangeKind.Calls"/>), once the
/// ingester has applied their records, so the analytics page refreshes when a call its range covers is in the figures.
/// </summary>
/// <remarks>
/// The throttle lives here, on the ingesting side, and not in the workspace grain: here is where a burst is seen, so this
/// is the one place that can keep it to one grain call per workspace per <see cref="Every"/> (not one per record or per
/// batch), and the workspace grain, the authority over numbers, gets no timers. A workspace's records reach whichever
/// silo reads them, so its dashboards hear at most one signal per silo per window; the page coalesces those into one fetch.
/// The window is per silo rather than per workspace: one loop wakes when calls have been applied, sends what gathered
/// (the leading signal, at once after a quiet spell), then waits <see cref="Every"/>; what was applied meanwhile goes in
/// the next round (the trailing signal), so the last call of a burst is never missed.
/// Test calls count: they are in the call log the page shows (the figures leave them out, so a refresh there changes nothing).
/// </remarks>
internal sealed class CallsEndedSignal(IGrainFactory grains, ILogger<CallsEndedSignal> logger) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(2);

    private readonly Lock gate = new();
    private Dictionary<string, CallsEnded> pending = [];
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Notes the calls just applied; costs the ingester a lock and a dictionary entry per workspace, never a wait.</summary>
    public void Applied(IEnumerable<CallRecord> calls)
    {
        var any = false;
        lock (gate)
        {
            foreach (var call in calls)
            {
                // Calls to numbers of no workspace are in no dashboard.
                if (call.WorkspaceId is not { } workspaceId) continue;
                pending[workspaceId] = pending.TryGetValue(workspaceId, out var seen)
                    ? new CallsEnded(Min(seen.EarliestStart, call.StartedAt), Max(seen.LatestStart, call.StartedAt))
                    : new CallsEnded(call.StartedAt, call.StartedAt);
                any = true;
            }
        }
        if (any) wake.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await wake.Reader.WaitToReadAsync(stoppingToken))
            {
                wake.Reader.TryRead(out _);
                Dictionary<string, CallsEnded> round;
                lock (gate)
                {
                    round = pending;
                    pending = [];
                }
                if (round.Count == 0) continue;
                foreach (var (workspaceId, calls) in round)
                {
                    try
                    {
                        // One-way: a workspace grain that is slow to activate holds up neither this round nor the next.
                        _ = grains.GetGrain<IWorkspaceGrain>(workspaceId).AnnounceCallsEnded(calls);
                    }
                    catch (Exception ex)
                    {
                        // The page's own timer refreshes the figures all the same.
                        logger.LogDebug(ex, "Telling workspace {WorkspaceId} that calls ended failed", workspaceId);
                    }
                }
                await Task.Delay(Every, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;
    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}
