using System.Globalization;
using Convocore.Contracts.Agents;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Contracts.Trunks;
using Convocore.Contracts.Workspaces;
using Convocore.Contracts.Webhooks;
using Convocore.Silo;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace Convocore.Benchmarks;

/// <summary>Takes spans as an OTLP exporter would and drops them.</summary>
internal sealed class DiscardingExporter : BaseExporter<System.Diagnostics.Activity>
{
    public override ExportResult Export(in Batch<System.Diagnostics.Activity> batch) => ExportResult.Success;
}

/// <summary>A silo in this process with the production silo services and Redis grain storage.</summary>
internal static class BenchSilo
{
    /// <param name="tracing">With the services' OpenTelemetry setup (ServiceDefaults), spans exported in batches to nowhere,
    /// as a silo under Aspire exports them over OTLP.</param>
    public static async Task<IHost> StartAsync(LocalRedis redis, IDictionary<string, string?> settings, bool tracing = false)
    {
        var silo = Host.CreateApplicationBuilder();
        silo.Logging.SetMinimumLevel(LogLevel.Warning);
        silo.Configuration.AddInMemoryCollection(settings);
        if (tracing)
        {
            silo.ConfigureOpenTelemetry();
            silo.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddProcessor(new BatchActivityExportProcessor(new DiscardingExporter())));
        }
        silo.Services.AddKeyedSingleton<IConnectionMultiplexer>("redis", (_, _) => ConnectionMultiplexer.Connect(redis.ConnectionString));
        silo.UseOrleans(orleans =>
        {
            orleans.UseLocalhostClustering();
            orleans.AddRedisGrainStorageAsDefault(o => o.ConfigurationOptions = ConfigurationOptions.Parse(redis.ConnectionString));
            orleans.UseInMemoryReminderService();
        });
        silo.Services.AddConvocoreSilo();
        var host = silo.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>An Enterprise workspace with one agent and one trunk holding <paramref name="count"/> numbers.</summary>
    /// <param name="hookUrl">A routing hook for the workspace, used by every number; null: none.</param>
    public static async Task<IReadOnlyList<string>> ConfigureNumbers(IGrainFactory grains, int count, int offset = 0, string? hookUrl = null)
    {
        var workspaceId = Ids.New();
        var workspace = grains.GetGrain<IWorkspaceGrain>(workspaceId);
        await workspace.Create("bench", Plan.Enterprise);
        if (hookUrl is not null)
        {
            var set = await grains.GetGrain<IWebhooksGrain>(workspaceId).SetRoutingHook(hookUrl, 1500);
            if (set.Value is null) throw new InvalidOperationException("routing hook refused: " + set);
        }
        var agent = (await workspace.CreateAgent(new AgentDraft("Bench agent", true, new VoiceConfiguration("openai", "alloy", "en-US")))).Value!;
        var trunk = (await workspace.CreateTrunk(new TrunkDraft("Bench trunk", Region.NA, true, null))).Value!;
        var numbers = Numbers(count, offset);
        foreach (var chunk in numbers.Chunk(50))
        {
            await Task.WhenAll(chunk.Select(n => workspace.AddNumber(new AddNumber(trunk.Id, n, agent.Id, null, """{"bench":true}""", RoutingHook: hookUrl is not null))));
        }
        return numbers;
    }

    /// <summary>Silo settings for one Asterisk server: the simulator, with the bench's ARI user.</summary>
    public static Dictionary<string, string?> ConnectedTo(AriSimulator.AriSimulator asterisk) => new()
    {
        ["Convocore:Asterisk:Servers:0:Name"] = "bench",
        ["Convocore:Asterisk:Servers:0:Region"] = "NA",
        ["Convocore:Asterisk:Servers:0:AriUrl"] = asterisk.BaseUrl.ToString(),
        ["Convocore:Asterisk:Servers:0:Username"] = "bench",
        ["Convocore:Asterisk:Servers:0:Password"] = "bench",
    };

    /// <summary>The numbers <see cref="ConfigureNumbers"/> adds for the same count and offset.</summary>
    public static string[] Numbers(int count, int offset = 0) =>
        Enumerable.Range(0, count).Select(i => "+1555" + (3_000_000 + offset + i).ToString("D7", CultureInfo.InvariantCulture)).ToArray();
}
