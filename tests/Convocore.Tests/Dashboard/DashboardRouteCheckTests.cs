using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>"Check a number" on the numbers page: the route check's answer, in words.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardRouteCheckTests(DashboardSystem system)
{
    [Fact]
    public async Task Checking_a_number_says_which_agent_a_call_reaches_or_why_it_is_refused()
    {
        var s = await DashboardSetup.Create(system);
        var number = TestNumbers.Next();
        await s.Add(number);
        var unknown = TestNumbers.Next();
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        var box = dashboard.Page.GetByLabel("What happens if someone calls");
        var check = dashboard.Page.GetByRole(AriaRole.Button, new() { Name = "Check", Exact = true });
        var result = dashboard.Page.Locator("#route-check-result");

        // As the provider sends it: without the plus.
        await box.FillAsync(number[1..]);
        await check.ClickAsync();
        await Expect(result).ToContainTextAsync($"A call to {number} now reaches the agent Receptionist.");
        await Expect(result).ToContainTextAsync("SIP provider Twilio · region NA");
        await dashboard.Screenshot("route-check-routed");

        await box.FillAsync(unknown);
        await check.ClickAsync();
        await Expect(result).ToContainTextAsync($"A call to {unknown} is refused now: its provider is told \"unallocated\".");
        await Expect(result.Locator("li[data-code=not_configured]")).ToBeVisibleAsync();

        // What was typed comes back as text, never as markup.
        await box.FillAsync("<img src=x onerror=window.pwned=1>");
        await check.ClickAsync();
        await Expect(result).ToContainTextAsync("<img src=x onerror=window.pwned=1>");
        Assert.Equal(0, await result.Locator("img").CountAsync());
        Assert.False(await dashboard.Page.EvaluateAsync<bool>("() => window.pwned === 1"));

        await box.FillAsync("");
        await check.ClickAsync();
        await Expect(result).ToHaveTextAsync("Enter a number as a caller would dial it, e.g. +15551234567.");
        Assert.Empty(dashboard.PageErrors);
    }
}
