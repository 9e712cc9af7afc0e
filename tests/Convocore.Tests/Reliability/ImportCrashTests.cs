using System.Net;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Xunit.Abstractions;

namespace Convocore.Tests.Reliability;

/// <summary>
/// An import applying when the silo process running it is killed with SIGKILL: the import carries on from its stored
/// position on the surviving silo, and ends as an uninterrupted one would, each number configured once.
/// </summary>
public sealed class ImportCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rows = 5_000;
    private SiloProcessCluster cluster = null!;

    public async Task InitializeAsync() => cluster = await SiloProcessCluster.StartAsync(2, new Dictionary<string, string>());

    [Fact]
    public async Task An_import_whose_silo_is_killed_mid_way_carries_on_and_ends_with_every_number_configured_once()
    {
        var workspace = await ApiClient.CreateWorkspace(cluster.WebAddress, "Enterprise");
        var s = new NumberSetup(workspace, await workspace.CreateTrunk(), await workspace.CreateAgent());
        var numbers = TestNumbers.Next(Rows);
        var csv = NumberImportKit.Csv(numbers.Select(n => $"{n},Receptionist,Twilio,,").ToArray());
        var started = await s.Api.ImportCsv(csv, dryRun: false, mode: "valid-rows");
        Assert.True(started.Status == HttpStatusCode.Accepted, started.ToString());
        var id = started.Body!["id"]!.GetValue<string>();

        // Once the first batches are in, kill the silo that runs the import.
        await Eventually.True(async () => (await s.Api.Get($"/api/numbers/import/{id}")).Body!["processed"]!.GetValue<int>() >= NumberImportGrainBatch,
            "the import under way", 60);
        var host = await cluster.Client.GetGrain<IManagementGrain>(0).GetActivationAddress(cluster.Client.GetGrain<INumberImportGrain>(workspace.Id));
        var victim = cluster.Silos.Single(silo => host!.Endpoint.Port == silo.SiloPort);
        var before = (await s.Api.Get($"/api/numbers/import/{id}")).Body!;
        output.WriteLine($"killing {victim.Name} at {before["processed"]} of {Rows}");
        Assert.Equal("applying", before["phase"]!.GetValue<string>());
        Assert.True(before["processed"]!.GetValue<int>() < Rows, "the import ended before the kill: make it larger");
        victim.Kill();

        var report = await FollowThroughFaults(s.Api, id);

        Assert.Equal("done", report["phase"]!.GetValue<string>());
        var statuses = NumberImportKit.Statuses(report);
        Assert.All(statuses, status => Assert.Contains(status, new[] { "add", "unchanged" }));
        Assert.Equal(Rows, await s.NumberCount());
        Assert.Equal(numbers, await s.ListedNumbers());
        var again = await s.Api.ApplyCsv(csv, "valid-rows");
        Assert.All(NumberImportKit.Statuses(again), status => Assert.Equal("unchanged", status));
        output.WriteLine($"after the kill: {statuses.Count(x => x == "add")} added, {statuses.Count(x => x == "unchanged")} found applied already");
    }

    private const int NumberImportGrainBatch = 250;

    /// <summary>Polls the progress; a request that meets the dead silo before membership knows is answered 503 and asked again.</summary>
    private static async Task<System.Text.Json.Nodes.JsonNode> FollowThroughFaults(ApiClient api, string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        while (DateTime.UtcNow < deadline)
        {
            var progress = await api.Get($"/api/numbers/import/{id}");
            if (progress.Status == HttpStatusCode.OK && progress.Body!["phase"]!.GetValue<string>() is "done" or "failed") return progress.Body!;
            Assert.True(progress.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, progress.ToString());
            await Task.Delay(200);
        }
        throw new TimeoutException("the import did not finish after the kill");
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in cluster.Silos) output.WriteLine($"--- {silo.Name} ---\n{silo.Log[^Math.Min(silo.Log.Length, 4000)..]}");
        await cluster.DisposeAsync();
    }
}
