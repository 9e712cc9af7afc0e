using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing;
using Microsoft.Extensions.Options;

namespace Convocore.Silo.TestCalls;

/// <summary>
/// One workspace's test calls. One activation in the cluster, so the per-minute limit holds whatever web instance
/// the requests come through. Only a number of the workspace can be test-called; the call goes out through a connected
/// Asterisk server of the number's region.
/// </summary>
internal sealed class TestCallsGrain(IOptions<AsteriskOptions> options, TimeProvider clock) : Grain, ITestCallsGrain
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Queue<DateTimeOffset> placed = new();

    private string WorkspaceId => this.GetPrimaryKeyString();

    public async Task<Outcome<PlacedTestCall>> Place(string phoneNumber)
    {
        if (E164.Validate(phoneNumber) is { } invalid) return invalid;
        var assignment = await GrainFactory.GetGrain<IPhoneNumberGrain>(phoneNumber).GetAssignment();
        if (assignment is null || assignment.WorkspaceId != WorkspaceId) return Failure.NotFound(NumberRules.NumberNotFound);

        var now = clock.GetUtcNow();
        while (placed.Count > 0 && now - placed.Peek() >= Window) placed.Dequeue();
        if (placed.Count >= TestCallRules.PerMinute)
        {
            var seconds = (int)Math.Ceiling((placed.Peek() + Window - now).TotalSeconds);
            return new Failure(FailureKind.TooManyRequests, TestCallRules.TooMany(seconds)) { RetryAfterSeconds = Math.Max(1, seconds) };
        }

        var callId = TestCallChannels.Routed(WorkspaceId, Ids.New());
        var servers = options.Value.Servers;
        for (var index = 0; index < servers.Count; index++)
        {
            if (servers[index].Region != assignment.Region) continue;
            if (!await GrainFactory.GetGrain<IAsteriskConnectionGrain>(index)
                    .PlaceTestCall(callId, phoneNumber, Ids.Scoped(WorkspaceId, assignment.TrunkId))) continue;
            placed.Enqueue(now);
            return new PlacedTestCall(callId, phoneNumber, servers[index].DisplayName);
        }
        return Failure.Conflict(TestCallRules.NoServer(assignment.Region.ToString()));
    }
}
