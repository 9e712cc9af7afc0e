using Convocore.Silo.Routing.Ari;

namespace Convocore.Tests.Routing.Ari;

public class AriRoutesTests
{
    private static readonly AriConnectionSettings Settings = new(new Uri("http://127.0.0.1:8088"), "u", "secret-pw", "convocore");

    [Theory]
    [InlineData("23.4.1", "WebSocket", "Bulk")]
    [InlineData("23.4.0", "WebSocket", "Bulk")]
    [InlineData("23.3.0", "WebSocket", "PerVariable")]
    [InlineData("24.0.0", "WebSocket", "Bulk")]
    [InlineData("22.10.0", "WebSocket", "Bulk")]
    [InlineData("22.3.0", "WebSocket", "PerVariable")]
    [InlineData("22.2.0", "Http", "PerVariable")]
    [InlineData("21.12.0", "WebSocket", "PerVariable")]
    [InlineData("20.20.0", "WebSocket", "Bulk")]
    [InlineData("20.13.0", "WebSocket", "PerVariable")]
    [InlineData("20.12.0", "Http", "PerVariable")]
    [InlineData("20.1.0", "Http", "PerVariable")]
    [InlineData("18.20.0", "Http", "PerVariable")]
    [InlineData("22.5.0-rc1", "WebSocket", "PerVariable")]
    [InlineData("certified-20.7-cert4", "Http", "PerVariable")]
    [InlineData("GIT-master-abc1234", "Http", "PerVariable")]
    [InlineData("", "Http", "PerVariable")]
    public void Choose_FollowsTheSinceVersionsPerBranch(string version, string transport, string variables)
    {
        var routes = AriRoutes.Choose(version, Settings);

        Assert.Equal(new AriRoutes(version, Enum.Parse<AriCommandTransport>(transport), Enum.Parse<AriVariableRoute>(variables)), routes);
    }

    [Fact]
    public void Choose_WithForcedFlags_UsesOldRoutesOnANewServer()
    {
        var routes = AriRoutes.Choose("23.4.1", Settings with { ForceHttpTransport = true, ForcePerVariableSet = true });

        Assert.Equal(AriCommandTransport.Http, routes.Transport);
        Assert.Equal(AriVariableRoute.PerVariable, routes.Variables);
    }

    [Fact]
    public void Settings_ToString_DoesNotContainThePassword()
    {
        var text = Settings.ToString();

        Assert.DoesNotContain("secret-pw", text);
        Assert.Contains("convocore", text);
    }
}
