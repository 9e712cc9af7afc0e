using Convocore.Tests.Dashboard;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Audit;

/// <summary>The Audit log page in a real Chromium: an edit made in the dashboard shows up as its entry, filters narrow the list, markup stays text.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardAuditTests(DashboardSystem system)
{
    [Fact]
    public async Task An_edit_in_the_dashboard_appears_in_the_audit_log_with_its_before_and_after()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        var page = dashboard.Page;

        await page.GetByRole(AriaRole.Button, new() { Name = "Edit agent Receptionist" }).ClickAsync();
        await dashboard.Dialog.GetByLabel("Title").FillAsync("<b>Front</b> desk");
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Save agent" }).ClickAsync();
        await Expect(page.Locator(".agent-name")).ToHaveTextAsync("<b>Front</b> desk");

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit log" })).ToBeVisibleAsync();
        var rows = page.Locator("#audit-entries > tr");
        var newest = rows.First;
        await Expect(newest.Locator(".audit-action")).ToHaveTextAsync("agent.updated");
        await Expect(newest.Locator(".audit-target")).ToHaveTextAsync($"agent {s.AgentId}");
        await Expect(newest.Locator(".audit-source")).ToHaveTextAsync("dashboard");
        await Expect(newest.Locator(".audit-before")).ToHaveTextAsync("""{"title":"Receptionist"}""");
        await Expect(newest.Locator(".audit-after")).ToHaveTextAsync("""{"title":"<b>Front</b> desk"}""");
        Assert.Equal(0, await page.Locator("#audit-view b").CountAsync());
        // The setup's changes, made over the API, are there too, older.
        await Expect(page.Locator("#audit-entries .audit-action", new() { HasText = "workspace.created" })).ToHaveCountAsync(1);
        await dashboard.Screenshot("audit-log");

        // Filtered to the agent: its creation and the edit only.
        await page.GetByLabel("Target").FillAsync(s.AgentId);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(1).Locator(".audit-action")).ToHaveTextAsync("agent.created");

        // A second edit, then the page read again: it is the newest.
        await page.GetByRole(AriaRole.Link, new() { Name = "Numbers" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit agent <b>Front</b> desk" }).ClickAsync();
        await dashboard.Dialog.GetByLabel("Title").FillAsync("Night shift");
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Save agent" }).ClickAsync();
        await Expect(page.Locator(".agent-name")).ToHaveTextAsync("Night shift");
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.First.Locator(".audit-after")).ToHaveTextAsync("""{"title":"Night shift"}""");

        await page.GetByLabel("Target").FillAsync("nosuchthing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.Locator("#audit-empty")).ToBeVisibleAsync();
        Assert.Empty(dashboard.PageErrors);
    }
}
