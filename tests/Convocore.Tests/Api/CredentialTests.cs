using System.Net;
using Convocore.Contracts.Workspaces;
using Convocore.Silo.Workspaces;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Convocore.Tests.Api;

/// <summary>API keys live apart from the workspace's changes: a request is authenticated and read while a change is in flight.</summary>
[Collection(SystemCollection.Name)]
public sealed class CredentialTests(ConvocoreSystem system)
{
    [Fact]
    public async Task While_a_number_change_of_the_workspace_is_in_flight_its_requests_are_authenticated_and_its_reads_answered()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Pro", "Change in flight");
        var agent = await workspace.CreateAgent();
        var trunk = await workspace.CreateTrunk();
        var number = TestNumbers.Next();
        var probes = system.Probes.ToArray();
        foreach (var probe in probes) probe.HoldNumber = number;
        try
        {
            var add = Task.Run(() => workspace.AddNumber(trunk, number, agent));
            await Task.WhenAny(probes.Select(p => p.Reached)).WaitAsync(TimeSpan.FromSeconds(30));

            // The add holds the workspace grain at its commit point: none of these may wait for it.
            foreach (var path in new[] { "/api/workspace", "/api/agents", "/api/trunks" })
            {
                var answer = await workspace.Api.Get(path).WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal(HttpStatusCode.OK, answer.Status);
            }
            Assert.False(add.IsCompleted, "the add was meant to be still in flight");
        }
        finally
        {
            foreach (var probe in probes)
            {
                probe.Release();
                probe.HoldNumber = null;
            }
        }
    }

    [Fact]
    public async Task A_key_issued_before_keys_had_a_grain_of_their_own_still_opens_its_workspace_and_can_be_revoked()
    {
        // A workspace as stored before: its key's hash inside the workspace's own state, and no API keys record.
        var workspaceId = Contracts.Common.Ids.New();
        var secret = ApiKeys.NewSecret();
        var silo = system.Cluster.Silos.OfType<InProcessSiloHandle>().First();
        var storage = silo.SiloHost.Services.GetRequiredKeyedService<IGrainStorage>(Convocore.Silo.StoredState.Storage);
        var legacy = new GrainState<WorkspaceState>(new WorkspaceState
        {
            Name = "Stored before",
            Plan = Plan.Free,
            CreatedAt = DateTimeOffset.UtcNow,
            ApiKeys = [new ApiKeyRecord("legacykey1", ApiKeys.Hash(secret), DateTimeOffset.UtcNow)],
        });
        await storage.WriteStateAsync(WorkspaceGrain.StateName, system.Client.GetGrain<IWorkspaceGrain>(workspaceId).GetGrainId(), legacy);

        var api = new ApiClient(system.WebAddress, ApiKeys.Format(workspaceId, secret));
        var answer = await api.Get("/api/workspace");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("Stored before", answer.Body!["name"]!.GetValue<string>());

        var revoked = await new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey).Delete($"/api/admin/workspaces/{workspaceId}/api-keys/legacykey1");
        Assert.Equal(HttpStatusCode.NoContent, revoked.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.Get("/api/workspace")).Status);
    }

    [Fact]
    public async Task Keys_of_a_workspace_that_does_not_exist_cannot_be_issued_or_revoked()
    {
        var operatorApi = new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey);
        var missing = Contracts.Common.Ids.New();
        (await operatorApi.Post($"/api/admin/workspaces/{missing}/api-keys")).AssertProblem(HttpStatusCode.NotFound, "Workspace not found");
        (await operatorApi.Delete($"/api/admin/workspaces/{missing}/api-keys/somekey")).AssertProblem(HttpStatusCode.NotFound, "Workspace not found");
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress);
        (await operatorApi.Delete($"/api/admin/workspaces/{workspace.Id}/api-keys/somekey")).AssertProblem(HttpStatusCode.NotFound, "API key not found");
    }
}
