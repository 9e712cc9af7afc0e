using Convocore.AriSimulator;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Convocore.Tests.Routing;

/// <summary>The system with its silos connected to our ARI simulator, over real HTTP and WebSockets.</summary>
public class RoutingSystem : ConvocoreSystem
{
    public const string Application = "convocore";

    public AriSimulator.AriSimulator Asterisk { get; } = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret" });

    protected override IEnumerable<KeyValuePair<string, string?>> SiloSettings => new Dictionary<string, string?>
    {
        ["Convocore:Asterisk:Servers:0:Name"] = "sim-na",
        ["Convocore:Asterisk:Servers:0:Region"] = "NA",
        ["Convocore:Asterisk:Servers:0:AriUrl"] = Asterisk.BaseUrl.ToString(),
        ["Convocore:Asterisk:Servers:0:Username"] = "convocore",
        ["Convocore:Asterisk:Servers:0:Password"] = "ari-secret",
    };

    public override async Task InitializeAsync()
    {
        await Asterisk.StartAsync();
        await base.InitializeAsync();
        await Asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>The call record of a channel, once the silo has written it.</summary>
    public async Task<CallRecord> RecordedCall(string channelId)
    {
        var recorder = Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services.GetRequiredService<CallRecorder>();
        CallRecord? found = null;
        await Eventually.True(async () =>
        {
            found = (await recorder.ReadLatest(1000)).FirstOrDefault(r => r.ChannelId == channelId);
            return found is not null;
        }, $"a call record for channel {channelId}");
        return found!;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Asterisk.DisposeAsync();
    }
}
