using System.Diagnostics;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing;
using Convocore.Tests.Numbers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Convocore.Tests.RealAsterisk;

/// <summary>
/// The end of a routed call on the real Asterisk: it comes from the hangup handler the app pushes with the channel
/// variables (<c>[convocore-call-ended]</c>), not from a channel subscription, so these tests hold the call up for a
/// known time, let sipp hang up, and read the call record the silo wrote. A system of its own: one test kills a silo.
/// </summary>
[Collection(RealAsteriskCollection.Name)]
public sealed class RealAsteriskCallRecordTests(AsteriskFixture asterisk, RealAsteriskSystem system, ITestOutputHelper output)
    : IClassFixture<RealAsteriskSystem>, IAsyncLifetime
{
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(6);

    public async Task InitializeAsync()
    {
        if (!asterisk.IsRunning) return;
        await asterisk.SetGlobalAsync("AGENT_WAIT", "20"); // the caller (sipp) hangs up first, after Hold
    }

    public async Task DisposeAsync()
    {
        if (!asterisk.IsRunning) return;
        foreach (var id in await asterisk.GetChannelIdsAsync())
        {
            using var _ = await asterisk.Ari.DeleteAsync($"channels/{id}");
        }
        await asterisk.SetGlobalAsync("AGENT_WAIT", "1");
    }

    [SkippableFact]
    public async Task A_routed_call_is_recorded_with_its_real_duration_and_end_cause_and_our_app_holds_nothing_of_it_while_it_talks()
    {
        asterisk.SkipIfUnavailable();
        await system.StartAsync(asterisk);
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);

        var sipp = asterisk.CreateSipp().CallAsync(number, hold: Hold);
        var talking = await asterisk.WaitForTalkingChannelAsync(TimeSpan.FromSeconds(15));
        Assert.DoesNotContain(talking, await asterisk.AppChannelIdsAsync()); // no subscription keeps it in our app
        var result = await sipp;
        output.WriteLine(result.ToString());
        Assert.Equal(200, Assert.Single(result.Calls).FinalStatus);

        var recorded = await RecordOf(number, talking);
        output.WriteLine($"recorded: {recorded}");
        Assert.Equal(CallOutcome.Routed, recorded.Outcome);
        Assert.Equal((setup.Workspace.Id, setup.AgentId), (recorded.WorkspaceId, recorded.AgentId));
        Assert.NotNull(recorded.EndedAt);
        // Asterisk 23.4.1 reports a caller's plain BYE as cause 0 ("Unknown"), some builds as 16 ("Normal Clearing")
        Assert.Contains(recorded.EndCause, new[] { "Unknown", "Normal Clearing" });
        Assert.InRange(recorded.DurationSeconds!.Value, Hold.TotalSeconds - 0.5, Hold.TotalSeconds + 2);
    }

    [SkippableFact]
    public async Task A_call_whose_silo_dies_mid_call_is_recorded_with_its_real_end_by_the_silo_that_takes_over()
    {
        asterisk.SkipIfUnavailable();
        await system.StartAsync(asterisk);
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await setup.AddOk(number);
        var hold = TimeSpan.FromSeconds(12); // longer than a takeover (failure detection, then the new connection)

        var clock = Stopwatch.StartNew();
        var sipp = asterisk.CreateSipp().CallAsync(number, hold: hold);
        var talking = await asterisk.WaitForTalkingChannelAsync(TimeSpan.FromSeconds(15));
        var owner = (await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure()).Silo;
        var ownerSilo = system.Cluster.Silos.OfType<InProcessSiloHandle>().Single(s => s.SiloAddress.ToString() == owner);
        var ownerRecorder = ownerSilo.SiloHost.Services.GetRequiredService<CallRecorder>();
        await Eventually.True(async () => (await ownerRecorder.OpenCalls(RealAsteriskSystem.ServerName)).Any(c => c.ChannelId == talking),
            "the routed call is open in Redis");

        await system.Cluster.KillSiloAsync(ownerSilo);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}s] killed {owner}");
        await Eventually.True(async () =>
        {
            var status = await system.Client.GetGrain<IAsteriskConnectionGrain>(0).Ensure();
            return status.Silo != owner && status.State == AsteriskConnectionState.Connected;
        }, "a surviving silo holds the connection", seconds: 30);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0}s] the survivor holds the connection");
        Assert.True(clock.Elapsed < hold, "the takeover must come before the caller hangs up for this test to mean anything");

        var result = await sipp;
        Assert.Equal(200, Assert.Single(result.Calls).FinalStatus);
        var recorded = await RecordOf(number, talking);
        output.WriteLine($"recorded: {recorded}");
        Assert.Equal(CallOutcome.Routed, recorded.Outcome);
        Assert.NotNull(recorded.EndedAt);
        Assert.NotEqual("ended while no silo held the connection", recorded.EndCause);
        Assert.InRange(recorded.DurationSeconds!.Value, hold.TotalSeconds - 0.5, hold.TotalSeconds + 2);
        var survivor = system.Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services.GetRequiredService<CallRecorder>();
        await Eventually.True(async () => (await survivor.OpenCalls(RealAsteriskSystem.ServerName)).All(c => c.ChannelId != talking),
            "the call is no longer open");
    }

    private async Task<CallRecord> RecordOf(string number, string channelId)
    {
        var recorder = system.Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services.GetRequiredService<CallRecorder>();
        CallRecord? found = null;
        await Eventually.True(async () =>
        {
            found = (await recorder.ReadLatest(1000)).FirstOrDefault(r => r.ChannelId == channelId && r.PhoneNumber == number);
            return found is not null;
        }, $"a call record for {number}", seconds: 20);
        await Task.Delay(TimeSpan.FromSeconds(1)); // a second record, were one written, would be there by now
        Assert.Single(await recorder.ReadLatest(1000), r => r.ChannelId == channelId);
        return found!;
    }
}
