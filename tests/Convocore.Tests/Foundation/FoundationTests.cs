using System.Net;
using Convocore.Contracts.Workspaces;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Foundation;

/// <summary>Each test here restarts or stops the cluster, so it gets a system of its own.</summary>
public sealed class FoundationTests : IAsyncLifetime
{
    private readonly ConvocoreSystem system = new();

    public Task InitializeAsync() => system.InitializeAsync();
    public Task DisposeAsync() => system.DisposeAsync();

    [Fact]
    public async Task Grain_state_survives_a_restart_of_every_silo()
    {
        var id = Contracts.Common.Ids.New();
        var created = await system.Client.GetGrain<IWorkspaceGrain>(id).Create("Acme", Plan.Pro);
        Assert.True(created.Succeeded);

        await system.RestartClusterAsync();

        var summary = await system.Client.GetGrain<IWorkspaceGrain>(id).Get();
        Assert.NotNull(summary);
        Assert.Equal("Acme", summary.Name);
        Assert.Equal(Plan.Pro, summary.Plan);
    }

    [Fact]
    public async Task Web_health_tells_anonymous_and_workspace_callers_the_status_only_and_the_operator_every_check()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress);
        using var asWorkspace = new HttpRequestMessage(HttpMethod.Get, "/health") { Headers = { { "Authorization", "Bearer " + workspace.ApiKey } } };
        foreach (var body in new[] { await system.Http.GetStringAsync("/health"), await (await system.Http.SendAsync(asWorkspace)).Content.ReadAsStringAsync() })
        {
            var health = System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
            Assert.Equal(["status"], health.Select(p => p.Key));
            Assert.Equal("Healthy", health["status"]!.GetValue<string>());
        }

        var full = await system.OperatorHealthAsync();
        Assert.Equal("Healthy", full["checks"]!["cluster"]!["status"]!.GetValue<string>());
        Assert.NotNull(full["checks"]!["asterisk"]);
    }

    [Fact]
    public async Task Web_health_is_healthy_only_while_the_cluster_answers()
    {
        var healthy = await system.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Contains("\"status\":\"Healthy\"", await healthy.Content.ReadAsStringAsync());

        await system.Cluster.StopAllSilosAsync();

        var unhealthy = await system.Http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        Assert.Contains("\"status\":\"Unhealthy\"", await unhealthy.Content.ReadAsStringAsync());
    }
}
