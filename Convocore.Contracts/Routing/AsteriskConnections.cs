namespace Convocore.Contracts.Routing;

public enum AsteriskConnectionState
{
    Connecting,
    Connected,
    Disconnected,
    /// <summary>Another ARI client registered our Stasis app name and receives its calls; we take it back after a backoff.</summary>
    Replaced,
}

/// <summary>One Asterisk server's ARI connection: which silo holds it, its state, and the ARI routes in use.</summary>
[GenerateSerializer, Immutable, Alias("convocore.asterisk-connection-status")]
public sealed record AsteriskConnectionStatus(
    [property: Id(0)] string Server,
    [property: Id(1)] string Silo,
    [property: Id(2)] AsteriskConnectionState State,
    [property: Id(3)] string? Routes);

/// <summary>Reports every configured server's connection, so the web app need not know the silos' configuration.</summary>
[Alias("convocore.asterisk-connections")]
public interface IAsteriskConnectionsGrain : IGrainWithIntegerKey
{
    Task<IReadOnlyList<AsteriskConnectionStatus>> GetAll();
}
