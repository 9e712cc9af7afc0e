using Convocore.Contracts.Workspaces;

namespace Convocore.Silo.Workspaces;

internal sealed partial class WorkspaceGrain
{
    // Already throttled by the sender (Analytics.CallsEndedSignal): at most one a window from each silo.
    public Task AnnounceCallsEnded(CallsEnded calls)
    {
        Notify(new WorkspaceChange(Id, WorkspaceChangeKind.Calls, null, null, Calls: calls));
        return Task.CompletedTask;
    }
}
