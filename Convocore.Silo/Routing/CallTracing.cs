using System.Diagnostics;
using Convocore.Contracts.Routing;

namespace Convocore.Silo.Routing;

/// <summary>
/// The spans of the call path. A call is one trace: <c>call</c> from its StasisStart to our last ARI command, with the
/// table's lookups when it missed (a warm hit is a dictionary read and gets none), the ARI requests, and the writes of
/// its record as children; <c>call ended</c>, when the hangup handler reports the end, joins the same trace on the silo
/// that routed the call. Tags are the record's (number, outcome, failure reason, agent, workspace, trunk, region, server),
/// never the caller's number. With no listener (tracing off) every method returns null at once.
/// </summary>
internal static class CallTracing
{
    public const string SourceName = "Convocore.Routing";

    public const string CallSpan = "call";
    public const string CallEndedSpan = "call ended";
    public const string LookupSpan = "routing lookup";
    public const string RecordSpan = "call record";
    public const string OpenEntrySpan = "open call entry";

    public const string ChannelId = "convocore.channel_id";
    public const string Number = "convocore.number";
    public const string Outcome = "convocore.outcome";
    public const string FailureReason = "convocore.failure_reason";
    public const string AgentId = "convocore.agent_id";
    public const string WorkspaceId = "convocore.workspace_id";
    public const string TrunkId = "convocore.trunk_id";
    public const string Region = "convocore.region";
    public const string Server = "convocore.server";
    public const string TableMiss = "convocore.routing.table_miss";
    public const string LookupKey = "convocore.lookup.key";
    public const string EndCause = "convocore.end_cause";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>The tags every call of one server starts with; they also mark the span as a trace of its own.</summary>
    public static KeyValuePair<string, object?>[] ServerTags(string region, string server) => [new(Region, region), new(Server, server)];

    /// <param name="received">When the StasisStart frame arrived (a <see cref="Stopwatch"/> timestamp): the span starts there.</param>
    public static Activity? StartCall(KeyValuePair<string, object?>[] serverTags, string channelId, long received)
    {
        if (!Source.HasListeners()) return null;
        // A call belongs to no other trace, whatever flow handed it over.
        Activity.Current = null;
        var span = Source.StartActivity(CallSpan, ActivityKind.Server, default(ActivityContext), serverTags, null,
            DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(received));
        span?.SetTag(ChannelId, channelId);
        return span;
    }

    /// <summary>What the call's record says, on its span: set where the outcome is known.</summary>
    public static void Describe(Activity? span, CallRecord call)
    {
        if (span is not { IsAllDataRequested: true }) return;
        span.SetTag(Number, call.PhoneNumber);
        span.SetTag(Outcome, CallOutcomes.Name(call.Outcome));
        span.SetTag(FailureReason, call.FailureReason);
        span.SetTag(AgentId, call.AgentId);
        span.SetTag(WorkspaceId, call.WorkspaceId);
        span.SetTag(TrunkId, call.TrunkId);
        if (call.Outcome == CallOutcome.Failed) span.SetStatus(ActivityStatusCode.Error, call.FailureReason);
    }

    public static void Missed(Activity? span) => span?.SetTag(TableMiss, true);

    /// <summary>
    /// The end of a call: a child of the call's span when this silo routed it (<paramref name="call"/>), else a trace of
    /// its own tagged with the channel id (a call followed after its connection changed hands).
    /// </summary>
    public static Activity? StartEnded(ActivityContext call, string server, string channelId, string? cause)
    {
        if (!Source.HasListeners()) return null;
        var span = call == default
            ? Source.StartActivity(CallEndedSpan, ActivityKind.Server, default(ActivityContext),
                [new(Server, server), new(ChannelId, channelId)])
            : Source.StartActivity(CallEndedSpan, ActivityKind.Server, call);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag(ChannelId, channelId);
            span.SetTag(EndCause, cause);
        }
        return span;
    }

    /// <summary>One lookup of the routing table (a miss): the grain calls and the storage read are its children.</summary>
    public static Activity? StartLookup(string key)
    {
        if (Activity.Current is null) return null;
        var span = Source.StartActivity(LookupSpan);
        span?.SetTag(LookupKey, key);
        return span;
    }

    /// <summary>
    /// A record handed to the recorder inside a call's trace: a child of the current span, ended by the recorder once
    /// its batch landed in Redis (<see cref="Landed"/>). The current span stays what it was.
    /// </summary>
    public static Activity? StartRecord(bool open)
    {
        var parent = Activity.Current;
        if (parent is null) return null;
        var span = Source.StartActivity(open ? OpenEntrySpan : RecordSpan, ActivityKind.Producer);
        Activity.Current = parent;
        return span;
    }

    /// <summary>Ends a record's span; the recorder's own flow stays out of every call's trace.</summary>
    public static void Landed(Activity? span, string? failure = null)
    {
        if (span is null) return;
        if (failure is not null) span.SetStatus(ActivityStatusCode.Error, failure);
        var current = Activity.Current;
        span.Stop();
        Activity.Current = current;
    }
}
