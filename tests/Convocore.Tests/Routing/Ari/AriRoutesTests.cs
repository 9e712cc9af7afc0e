using Convocore.Silo.Routing.Ari;

namespace Convocore.Tests.Routing.Ari;

public class AriRoutesTests
{
    private static readonly AriConnectionSettings Settings = new(new Uri("http://127.0.0.1:8088"), "u", "secret-pw", "convocore");

    [Theory]
    [InlineData("23.4.1", AriCommandTransport.WebSocket, AriVariableRoute.Bulk)]
    [InlineData("23.4.0", AriCommandTransport.WebSocket, AriVariableRoute.Bulk)]
    [InlineData("23.3.0", AriCommandTransport.WebSocket, AriVariableRoute.PerVariable)]
    [InlineData("24.0.0", AriCommandTransport.WebSocket, AriVariableRoute.Bulk)]
    [InlineData("22.10.0", AriCommandTransport.WebSocket, AriVariableRoute.Bulk)]
    [InlineData("22.3.0", AriCommandTransport.WebSocket, AriVariableRoute.PerVariable)]
    [InlineData("22.2.0", AriCommandTransport.Http, AriVariableRoute.PerVariable)]
    [InlineData("21.12.0", AriCommandTransport.WebSocket, AriVariableRoute.PerVariable)]
    [InlineData("20.20.0", AriCommandTransport.WebSocket, AriVariableRoute.Bulk)]
    [InlineData("20.13.0", AriCommandTransport.WebSocket, AriVariableRoute.PerVariable)]
    [InlineData("20.12.0", AriCommandTransport.Http, AriVariableRoute.PerVariable)]
    [InlineData("20.1.0", AriCommandTransport.Http, AriVariableRoute.PerVariable)]
    [InlineData("18.20.0", AriCommandTransport.Http, AriVariableRoute.PerVariable)]
    [InlineData("22.5.0-rc1", AriCommandTransport.WebSocket, AriVariableRoute.PerVariable)]
    [InlineData("certified-20.7-cert4", AriCommandTransport.Http, AriVariableRoute.PerVariable)]
    [InlineData("GIT-master-abc1234", AriCommandTransport.Http, AriVariableRoute.PerVariable)]
    [InlineData("", AriCommandTransport.Http, AriVariableRoute.PerVariable)]
    public void Choose_FollowsTheSinceVersionsPerBranch(string version, AriCommandTransport transport, AriVariableRoute variables)
    {
        var routes = AriRoutes.Choose(version, Settings);

        Assert.Equal(new AriRoutes(version, transport, variables), routes);
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
