using System.Net;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Audit;

/// <summary>
/// A number change held at its commit point (the phone number grain's write landed) while every silo dies: the fresh
/// cluster settles it, and settling writes its audit entry, once, naming who began it.
/// </summary>
public sealed class AuditSettleTests(RestartableSystem system) : IClassFixture<RestartableSystem>
{
    [Fact]
    public async Task An_add_and_a_delete_interrupted_after_their_commit_point_are_logged_once_by_settling()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var keyId = (await s.Api.AllEntries("target=apiKey")).Single().TargetId();
        var number = TestNumbers.Next();

        await CrashAtCommitPoint(number, () => s.Add(number));
        var api = s.At(system.WebAddress).Api;
        await Eventually.True(async () => (await api.AllEntries("target=" + Uri.EscapeDataString(number))).Count == 1, "the settled add logged");
        var added = Assert.Single(await api.AllEntries("target=" + Uri.EscapeDataString(number)));
        Assert.Equal(("number.added", keyId, "api"), (added.Action(), added["actor"]!.GetValue<string>(), added["source"]!.GetValue<string>()));
        Assert.Equal([number], await s.At(system.WebAddress).ListedNumbers());

        await CrashAtCommitPoint(number, () => s.At(system.WebAddress).Api.Delete($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}"));
        api = s.At(system.WebAddress).Api;
        await Eventually.True(async () => (await api.AllEntries("target=" + Uri.EscapeDataString(number))).Count == 2, "the settled delete logged");
        var entries = await api.AllEntries("target=" + Uri.EscapeDataString(number));
        Assert.Equal(["number.deleted", "number.added"], entries.Select(e => e.Action()));
        Assert.Empty(await s.At(system.WebAddress).ListedNumbers());
    }

    private async Task CrashAtCommitPoint(string number, Func<Task<ApiResponse>> request)
    {
        var probes = system.Probes.ToArray();
        foreach (var probe in probes) probe.HoldNumber = number;
        var inFlight = Task.Run(request);
        var reached = await Task.WhenAny(probes.Select(p => p.Reached).Append(inFlight)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.False(reached == inFlight, "the request finished instead of stopping at its commit point");
        await system.CrashAndRestartClusterAsync();
        await Task.WhenAny(inFlight, Task.Delay(TimeSpan.FromSeconds(60)));
        if (inFlight.IsCompletedSuccessfully) Assert.True(inFlight.Result.Status != HttpStatusCode.Created && inFlight.Result.Status != HttpStatusCode.NoContent, inFlight.Result.ToString());
    }
}
