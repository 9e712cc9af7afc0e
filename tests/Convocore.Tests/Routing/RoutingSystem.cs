using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Routing;

/// <summary>The system with its silos connected to our ARI simulator, over real HTTP and WebSockets.</summary>
public sealed class RoutingSystem : ConvocoreSystem
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

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Asterisk.DisposeAsync();
    }
}
