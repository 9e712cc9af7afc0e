using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>Editing a number's fallback and routing hook switch on its row in the browser: saved values survive a reload, a bad URI shows the product's text.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardFallbackTests(DashboardSystem system)
{
    [Fact]
    public async Task The_fallback_is_edited_on_the_numbers_row_and_shows_after_a_reload()
    {
        var s = await DashboardSetup.Create(system);
        var backup = await s.Workspace.CreateAgent("Backup desk");
        var number = TestNumbers.Next();
        await s.Add(number);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Expand("Twilio");
        var row = dashboard.NumberRow(number);
        await Expect(row.Locator(".fallback-current")).ToHaveTextAsync("Fallback: none");

        // A bad SIP URI: the server's fixed text on the row, nothing saved.
        await row.GetByLabel($"Fallback type of {number}").SelectOptionAsync(new SelectOptionValue { Label = "SIP URI" });
        await row.GetByLabel($"Fallback destination of {number}").FillAsync("sip:front desk@pbx");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Save fallback of {number}" }).ClickAsync();
        await Expect(row.Locator(".row-error")).ToHaveTextAsync("Invalid SIP URI");
        await dashboard.Screenshot("fallback-invalid-uri");

        await row.GetByLabel($"Fallback destination of {number}").FillAsync("sip:frontdesk@pbx.example.com");
        await row.GetByRole(AriaRole.Button, new() { Name = $"Save fallback of {number}" }).ClickAsync();
        await Expect(row.Locator(".fallback-current")).ToHaveTextAsync("Fallback: sip:frontdesk@pbx.example.com");
        await Expect(row.Locator(".row-error")).ToHaveTextAsync("");
        var stored = await s.Workspace.Api.Get($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}");
        Assert.Equal("sip:frontdesk@pbx.example.com", stored.Body!["fallback"]!["uri"]!.GetValue<string>());

        await dashboard.Page.ReloadAsync();
        await dashboard.Expand("Twilio");
        row = dashboard.NumberRow(number);
        await Expect(row.Locator(".fallback-current")).ToHaveTextAsync("Fallback: sip:frontdesk@pbx.example.com");
        await Expect(row.GetByLabel($"Fallback type of {number}")).ToHaveValueAsync("sip");
        await Expect(row.GetByLabel($"Fallback destination of {number}")).ToHaveValueAsync("sip:frontdesk@pbx.example.com");

        // Another agent, then none.
        await row.GetByLabel($"Fallback type of {number}").SelectOptionAsync(new SelectOptionValue { Label = "Another agent" });
        await row.GetByLabel($"Fallback agent of {number}").SelectOptionAsync(new SelectOptionValue { Label = "Backup desk" });
        await row.GetByRole(AriaRole.Button, new() { Name = $"Save fallback of {number}" }).ClickAsync();
        await Expect(row.Locator(".fallback-current")).ToHaveTextAsync($"Fallback: agent Backup desk ({backup})");
        await dashboard.Screenshot("fallback-agent");
        await dashboard.Page.ReloadAsync();
        await dashboard.Expand("Twilio");
        row = dashboard.NumberRow(number);
        await Expect(row.Locator(".fallback-current")).ToHaveTextAsync($"Fallback: agent Backup desk ({backup})");
        await Expect(row.GetByLabel($"Fallback agent of {number}")).ToHaveValueAsync(backup);

        await row.GetByLabel($"Fallback type of {number}").SelectOptionAsync(new SelectOptionValue { Label = "No fallback" });
        await row.GetByRole(AriaRole.Button, new() { Name = $"Save fallback of {number}" }).ClickAsync();
        await Expect(row.Locator(".fallback-current")).ToHaveTextAsync("Fallback: none");
        Assert.Null((await s.Workspace.Api.Get($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}")).Body!["fallback"]);
    }

    [Fact]
    public async Task The_routing_hook_is_switched_on_and_off_on_the_numbers_row_and_shows_after_a_reload()
    {
        var s = await DashboardSetup.Create(system);
        var number = TestNumbers.Next();
        await s.Add(number);
        var path = $"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}";
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Expand("Twilio");
        var toggle = dashboard.NumberRow(number).GetByLabel($"Routing hook for {number}");
        await Expect(toggle).Not.ToBeCheckedAsync();

        await toggle.CheckAsync();
        await Eventually.True(async () => (await s.Workspace.Api.Get(path)).Body!["routingHook"]!.GetValue<bool>(), "routingHook saved as true");
        await dashboard.Page.ReloadAsync();
        await dashboard.Expand("Twilio");
        toggle = dashboard.NumberRow(number).GetByLabel($"Routing hook for {number}");
        await Expect(toggle).ToBeCheckedAsync();

        await toggle.UncheckAsync();
        await Eventually.True(async () => !(await s.Workspace.Api.Get(path)).Body!["routingHook"]!.GetValue<bool>(), "routingHook saved as false");
        Assert.Empty(dashboard.PageErrors);
    }
}
