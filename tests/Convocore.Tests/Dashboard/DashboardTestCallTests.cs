using System.Net;
using System.Text.RegularExpressions;
using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>
/// "Test call" on a number's row: the call goes out through the region's Asterisk (here the ARI simulator, which
/// originates like Asterisk; RealAsteriskTestCallTests places them on the real one) and its outcome arrives on the row,
/// live, in words.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardTestCallTests(DashboardSystem system)
{
    [Fact]
    public async Task A_test_calls_outcome_arrives_live_on_its_row_routed_or_refused_with_the_reason()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        var routed = TestNumbers.Next();
        var refused = TestNumbers.Next();
        var offDuty = await s.Workspace.CreateAgent("Off duty");
        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(s.TrunkId, routed, s.AgentId)).Status);
        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(s.TrunkId, refused, offDuty)).Status);
        Assert.Equal(HttpStatusCode.OK, (await s.Workspace.Api.Put($"/api/agents/{offDuty}", new { title = "Off duty", voiceEnabled = false, voice = (object?)null })).Status);
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Expand("Twilio");

        await dashboard.Page.GetByRole(AriaRole.Button, new() { Name = $"Test call {routed}", Exact = true }).ClickAsync();
        await Expect(dashboard.NumberRow(routed).GetByRole(AriaRole.Status))
            .ToHaveTextAsync(new Regex($@"^Test call routed to Receptionist \({s.AgentId}\) in \d+\.\d ms$"));

        await dashboard.Page.GetByRole(AriaRole.Button, new() { Name = $"Test call {refused}", Exact = true }).ClickAsync();
        await Expect(dashboard.NumberRow(refused).GetByRole(AriaRole.Status))
            .ToHaveTextAsync(new Regex(@"^Test call refused: its agent cannot take calls \(decided in \d+\.\d ms\)$"));
        await dashboard.Screenshot("test-call-outcomes");

        // The API's answer, as OpenApiContractTests cannot get it without an Asterisk: 202 and what it placed.
        var placed = await s.Workspace.Api.Post($"/api/numbers/{TestNumbers.Escaped(routed)}/test-call", new { });
        Assert.Equal(HttpStatusCode.Accepted, placed.Status);
        Assert.Equal(["callId", "phoneNumber", "server"], placed.Body!.AsObject().Select(p => p.Key).Order());
        Assert.StartsWith($"convocore-test-{s.Workspace.Id}-", placed.Body!["callId"]!.GetValue<string>());
        Assert.Equal(routed, placed.Body!["phoneNumber"]!.GetValue<string>());
        Assert.Empty(dashboard.PageErrors);
    }
}
