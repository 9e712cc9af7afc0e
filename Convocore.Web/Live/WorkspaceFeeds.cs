using Convocore.Contracts.Workspaces;
using Microsoft.AspNetCore.SignalR;

namespace Convocore.Web.Live;

/// <summary>
/// This web instance's subscriptions to workspace grains: one observer per workspace with at least one dashboard
/// connected here, forwarding each change to that workspace's hub group. Every instance subscribes for its own
/// clients, so a change made through any instance (or the REST API, or a silo settling a change) reaches all tabs
/// without a backplane. Subscriptions lapse on the grain unless renewed, which also re-subscribes after the grain
/// has moved to another silo.
/// </summary>
internal sealed class WorkspaceFeeds(IClusterClient cluster, IHubContext<LiveHub> hub, ILogger<WorkspaceFeeds> logger) : BackgroundService
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Feed> feeds = [];

    public async Task Join(string workspaceId)
    {
        Feed feed;
        bool first;
        lock (gate)
        {
            first = !feeds.TryGetValue(workspaceId, out feed!);
            if (first)
            {
                feed = new Feed(workspaceId, hub);
                feed.Reference = cluster.CreateObjectReference<IWorkspaceObserver>(feed);
                feeds[workspaceId] = feed;
            }
            feed.Clients++;
        }
        if (first) await Subscribe(feed);
    }

    public async Task Leave(string workspaceId)
    {
        Feed? gone = null;
        lock (gate)
        {
            if (feeds.TryGetValue(workspaceId, out var feed) && --feed.Clients == 0)
            {
                feeds.Remove(workspaceId);
                gone = feed;
            }
        }
        if (gone is null) return;
        try
        {
            await cluster.GetGrain<IWorkspaceGrain>(workspaceId).Unsubscribe(gone.Reference);
        }
        catch (Exception ex)
        {
            // The subscription lapses on its own.
            logger.LogDebug(ex, "Unsubscribing from workspace {WorkspaceId} failed", workspaceId);
        }
        cluster.DeleteObjectReference<IWorkspaceObserver>(gone.Reference);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(WorkspaceObservers.RenewEvery);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            Feed[] current;
            lock (gate) current = [.. feeds.Values];
            await Task.WhenAll(current.Select(Subscribe));
        }
    }

    private async Task Subscribe(Feed feed)
    {
        try
        {
            await cluster.GetGrain<IWorkspaceGrain>(feed.WorkspaceId).Subscribe(feed.Reference);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Subscribing to workspace {WorkspaceId} failed; retrying in {Interval}", feed.WorkspaceId, WorkspaceObservers.RenewEvery);
        }
    }

    private sealed class Feed(string workspaceId, IHubContext<LiveHub> hub) : IWorkspaceObserver
    {
        public string WorkspaceId => workspaceId;
        public int Clients { get; set; }
        public IWorkspaceObserver Reference { get; set; } = null!;

        public Task Changed(WorkspaceChange change) =>
            hub.Clients.Group(LiveHub.Group(workspaceId)).SendAsync(LiveHub.ChangedMessage, change);
    }
}
