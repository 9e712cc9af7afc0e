using System.Diagnostics;
using System.Threading.Channels;
using Convocore.Contracts.Routing;
using Convocore.Contracts.Workspaces;

namespace Convocore.Silo.TestCalls;

/// <summary>
/// Tells a workspace's dashboards what its test call met, as soon as the call path has decided it: queued here and
/// sent from a loop of its own, so the call path never waits for the grain call.
/// </summary>
internal sealed class TestCallAnnouncer(IGrainFactory grains, ILogger<TestCallAnnouncer> logger) : BackgroundService
{
    private readonly Channel<(string WorkspaceId, TestCallOutcome Outcome)> queue =
        Channel.CreateBounded<(string, TestCallOutcome)>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The call path's decision of a test call (its channel id starts with <see cref="TestCallRules.ChannelPrefix"/>).</summary>
    /// <param name="received">When its StasisStart arrived: the outcome tells our own time from there.</param>
    public void Decided(CallRecord call, string outcome, string? reason, long received)
    {
        if (WorkspaceOf(call.ChannelId) is not { } workspaceId) return;
        var own = Stopwatch.GetElapsedTime(received).TotalMilliseconds;
        queue.Writer.TryWrite((workspaceId, new TestCallOutcome(call.ChannelId, call.PhoneNumber ?? call.Dialed, outcome, reason, call.AgentId, own)));
    }

    /// <summary>"convocore-test-&lt;workspace id&gt;-&lt;random&gt;" (<see cref="TestCallChannels"/>).</summary>
    private static string? WorkspaceOf(string channelId)
    {
        var rest = channelId.AsSpan(TestCallRules.ChannelPrefix.Length);
        var dash = rest.IndexOf('-');
        return dash > 0 ? rest[..dash].ToString() : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (workspaceId, outcome) in queue.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await grains.GetGrain<IWorkspaceGrain>(workspaceId).AnnounceTestCall(outcome);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The call log has the outcome all the same; the page reads it there on its next refresh.
                logger.LogWarning(ex, "Telling workspace {WorkspaceId} the outcome of test call {CallId} failed", workspaceId, outcome.CallId);
            }
        }
    }
}

/// <summary>The channel ids of a test call's Local channel: the routed half carries the workspace, so its outcome finds its dashboards.</summary>
internal static class TestCallChannels
{
    public static string Routed(string workspaceId, string random) => $"{TestCallRules.ChannelPrefix}{workspaceId}-{random}";

    /// <summary>
    /// The caller half's id. Not the routed id with a suffix: Asterisk refuses an id that another channel's id starts
    /// with ("Channel with given unique ID already exists"), and the caller half is created first.
    /// </summary>
    public static string Caller(string routed) => "convocore-caller-" + routed[TestCallRules.ChannelPrefix.Length..];
}
