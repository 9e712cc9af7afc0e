using Convocore.Web.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Convocore.Web.Live;

/// <summary>
/// Pushes "workspaceChanged" to the dashboards of a workspace. A connection joins only the group of the workspace
/// its session (or API key) belongs to; clients call nothing on the hub.
/// </summary>
[Authorize(Policy = Principals.WorkspacePolicy)]
internal sealed class LiveHub(WorkspaceFeeds feeds, LiveConnections connections) : Hub
{
    public const string Path = "/hubs/live";
    public const string ChangedMessage = "workspaceChanged";
    public const string SubscribedMessage = "subscribed";

    public static string Group(string workspaceId) => "workspace:" + workspaceId;

    public override async Task OnConnectedAsync()
    {
        var workspaceId = Context.User!.WorkspaceId();
        connections.Opened(Context);
        await Groups.AddToGroupAsync(Context.ConnectionId, Group(workspaceId));
        await feeds.Join(workspaceId);
        // The handshake completes before this method runs: only now is every later change sure to be pushed.
        await Clients.Caller.SendAsync(SubscribedMessage);
    }

    public override async Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Closed(Context);
        await feeds.Leave(Context.User!.WorkspaceId());
    }
}
