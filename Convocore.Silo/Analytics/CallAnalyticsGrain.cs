using Convocore.Contracts.Analytics;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Routing;
using Convocore.Contracts.Trunks;
using Orleans.Concurrency;

namespace Convocore.Silo.Analytics;

[StatelessWorker]
internal sealed class CallAnalyticsGrain(CallStore store, CallFigures figures, IGrainFactory grains) : Grain, ICallAnalyticsGrain
{
    public async Task<CallStats?> ForNumber(string workspaceId, string phoneNumber, DateTimeOffset from, DateTimeOffset to, bool includeTests)
    {
        // A number the workspace no longer holds keeps its history there; another workspace's number is unknown here.
        if (!await store.HadCalls(workspaceId, phoneNumber)
            && (await grains.GetGrain<IPhoneNumberGrain>(phoneNumber).GetAssignment())?.WorkspaceId != workspaceId)
            return null;
        return await figures.Compute(workspaceId, phoneNumber, from, to, byNumber: false, includeTests);
    }

    public Task<CallStats> ForWorkspace(string workspaceId, DateTimeOffset from, DateTimeOffset to, bool includeTests) =>
        figures.Compute(workspaceId, null, from, to, byNumber: true, includeTests);

    public Task<CallStats> Unowned(DateTimeOffset from, DateTimeOffset to) =>
        figures.Compute(null, null, from, to, byNumber: true, includeTests: true);

    public async Task<CallLogPage?> CallLog(string workspaceId, CallLogQuery query)
    {
        if (query.Cursor is not null && !CallStore.IsMember(query.Cursor)) return null;
        var (calls, more) = await store.Page(workspaceId, query.PhoneNumber, query.From, query.To, query.Cursor, query.Limit,
            call => (query.AgentId is null || call.AgentId == query.AgentId) && (query.Outcome is null || call.Outcome == query.Outcome));
        return new CallLogPage(calls.Select(c => Entry(c.Record)).ToArray(), more ? calls[^1].Member : null);
    }

    private static CallLogEntry Entry(CallRecord c) => new(c.StartedAt, c.CallerNumber, c.PhoneNumber, c.Dialed, c.AgentId, c.Region,
        c.Outcome, c.FailureReason, c.DurationSeconds is { } d ? CallFigures.Seconds(d) : null, c.EndedAt, c.ChannelId, c.Test, c.Fallback, c.Hook);
}
