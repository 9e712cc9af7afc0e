using System.Net;
using System.Text.Json.Nodes;
using Convocore.AriSimulator;
using Convocore.Tests.Analytics;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>
/// Wide content stays inside its card at every width: the call log shows all its columns at a laptop's 1280 px, and
/// on a phone it scrolls inside its card while the page itself never scrolls sideways.
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardLayoutTests(DashboardSystem system)
{
    [Theory]
    [InlineData(1280, "every column")]
    [InlineData(1024, "outcome")]
    [InlineData(768, "scrolls")]
    [InlineData(375, "scrolls")]
    public async Task The_call_log_fits_its_card_or_scrolls_inside_it_and_the_page_never_scrolls_sideways(int width, string visible)
    {
        var s = await DashboardSetup.Create(system);
        var agent = await s.Workspace.CreateAgent("Customer service for premium accounts, second line");
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(s.TrunkId, number, agent)).Status);
        var call = system.Asterisk.PlaceCall(number, "+442071239999");
        Assert.Equal(CallOutcomeKind.Continued, (await call.Outcome.WaitAsync(TimeSpan.FromSeconds(15))).Kind);
        Assert.True(system.Asterisk.EndCall(call.ChannelId));
        await Eventually.True(async () => (await s.Workspace.Api.GetOk("/api/calls?limit=10"))["items"]!.AsArray().Count == 1, "the call in the log", 30);

        await using var dashboard = await system.OpenDashboard(width: width);
        await dashboard.SignIn(s.Workspace.ApiKey);
        await dashboard.Page.GotoAsync("/#/analytics");
        var log = dashboard.Page.Locator("#an-log");
        await Expect(log.Locator("tbody tr")).ToHaveCountAsync(1);

        var layout = await dashboard.Page.EvaluateAsync<Layout>("""
            () => {
              const box = document.querySelector('#an-log').closest('.table-scroll');
              const outcome = [...document.querySelectorAll('#an-log th')].find((th) => th.textContent === 'Outcome');
              const boxRect = box.getBoundingClientRect(), outcomeRect = outcome.getBoundingClientRect();
              return {
                pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
                boxRight: boxRect.right, boxScrolls: box.scrollWidth > box.clientWidth, overflowX: getComputedStyle(box).overflowX,
                outcomeInside: outcomeRect.left >= boxRect.left && outcomeRect.right <= boxRect.right,
              };
            }
            """);
        await dashboard.Screenshot($"call-log-{width}");
        Assert.True(layout.PageWidth <= layout.Viewport, $"the page scrolls sideways at {width} px: {layout.PageWidth} px wide");
        Assert.True(layout.BoxRight <= layout.Viewport, $"the call log's card ends at {layout.BoxRight} px, past the {layout.Viewport} px viewport");
        Assert.Equal("auto", layout.OverflowX);
        if (visible == "every column") Assert.False(layout.BoxScrolls, $"at {width} px the call log needs scrolling");
        if (visible != "scrolls") Assert.True(layout.OutcomeInside, $"at {width} px the Outcome column is cut off");
    }

    private sealed class Layout
    {
        public double PageWidth { get; set; }
        public double Viewport { get; set; }
        public double BoxRight { get; set; }
        public bool BoxScrolls { get; set; }
        public string OverflowX { get; set; } = "";
        public bool OutcomeInside { get; set; }
    }
}
