using Convocore.AriSimulator;
using Convocore.Silo.Routing.Ari;

namespace Convocore.Tests.Routing.Ari;

/// <summary>A running simulator and a client connected to it over real HTTP and WebSockets.</summary>
internal sealed class AriHarness : IAsyncDisposable
{
    // Guards against hangs only; no test asserts on durations.
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private AriHarness(AriSimulator.AriSimulator simulator, AriClient client)
    {
        Simulator = simulator;
        Client = client;
    }

    public AriSimulator.AriSimulator Simulator { get; }
    public AriClient Client { get; private set; }

    public static async Task<AriHarness> StartAsync(
        string version = "23.4.1",
        Func<AriConnectionSettings, AriConnectionSettings>? configure = null,
        Action<AriSimulatorOptions>? simulatorOptions = null)
    {
        var options = new AriSimulatorOptions { AsteriskVersion = version, Username = "convocore", Password = "s3cret+pw" };
        simulatorOptions?.Invoke(options);
        var simulator = new AriSimulator.AriSimulator(options);
        await simulator.StartAsync();
        var client = new AriClient((configure ?? (s => s))(Settings(simulator)));
        await client.ConnectAsync().WaitAsync(Patience);
        return new AriHarness(simulator, client);
    }

    public static AriConnectionSettings Settings(AriSimulator.AriSimulator simulator) =>
        new(simulator.BaseUrl, simulator.Options.Username, simulator.Options.Password, simulator.Options.Application);

    public async Task<T> NextEventAsync<T>() where T : AriEvent =>
        Assert.IsType<T>(await Client.Events.ReadAsync().AsTask().WaitAsync(Patience));

    /// <summary>Places a call and waits until the client has its StasisStart.</summary>
    public async Task<(SimulatedCall Call, StasisStart Start)> PlaceCallAsync(string dialed = "+15552000000", string caller = "+15551234567")
    {
        var call = Simulator.PlaceCall(dialed, caller);
        var start = await NextEventAsync<StasisStart>();
        Assert.Equal(call.ChannelId, start.Channel.Id);
        return (call, start);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
