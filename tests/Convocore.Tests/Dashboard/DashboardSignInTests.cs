using System.Net;
using Convocore.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>Signing in with a workspace API key, the cookie session it gives, CSRF and sign-out.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardSignInTests(DashboardSystem system)
{
    [Fact]
    public async Task Sign_in_with_an_API_key_shows_the_workspace_and_sign_out_ends_the_session()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Free", "Sign-in test");
        await using var dashboard = await system.OpenDashboard();

        await Expect(dashboard.Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await dashboard.Page.GetByLabel("API key").FillAsync("cck_nosuchworkspace_0000");
        await dashboard.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(dashboard.Page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Unknown or revoked API key");
        await dashboard.Screenshot("sign-in-refused");

        await dashboard.SignInLive(workspace.ApiKey);
        await Expect(dashboard.Usage).ToHaveTextAsync("0 of 5 numbers · Free plan");
        await Expect(dashboard.Page.GetByText("No SIP providers yet.")).ToBeVisibleAsync();
        await Expect(dashboard.Page.GetByText("No agents yet.")).ToBeVisibleAsync();
        var cookie = Assert.Single(await dashboard.Page.Context.CookiesAsync(), c => c.Name == "convocore_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        await dashboard.Screenshot("signed-in-empty-workspace");

        // A reload keeps the session.
        await dashboard.Page.ReloadAsync();
        await Expect(dashboard.Usage).ToHaveTextAsync("0 of 5 numbers · Free plan");

        await dashboard.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(dashboard.Page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        var afterSignOut = await dashboard.Page.EvaluateAsync<int>("async () => (await fetch('/api/workspace')).status");
        Assert.Equal(401, afterSignOut);
    }

    [Fact]
    public async Task Cookie_authenticated_writes_without_the_request_header_are_refused()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Free", "CSRF test");
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignIn(workspace.ApiKey);

        var bare = await dashboard.Page.EvaluateAsync<int>("""
            async () => (await fetch('/api/trunks', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                      body: JSON.stringify({ name: 'Forged', region: 'NA' }) })).status
            """);
        var withHeader = await dashboard.Page.EvaluateAsync<int>("""
            async () => (await fetch('/api/trunks', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Convocore-Request': '1' },
                                                      body: JSON.stringify({ name: 'Real', region: 'NA' }) })).status
            """);

        Assert.Equal(403, bare);
        Assert.Equal(201, withHeader);
        var trunks = await workspace.Api.Get("/api/trunks");
        Assert.Equal(["Real"], trunks.Body!.AsArray().Select(t => t!["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Revoking_the_API_key_ends_the_dashboard_session()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Free", "Revocation test");
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignIn(workspace.ApiKey);
        var issued = await new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey).Post($"/api/admin/workspaces/{workspace.Id}/api-keys");
        Assert.Equal(HttpStatusCode.Created, issued.Status);
        await using var second = await system.OpenDashboard();
        await second.SignIn(issued.Body!["apiKey"]!.GetValue<string>());
        var revoked = await new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey)
            .Delete($"/api/admin/workspaces/{workspace.Id}/api-keys/{issued.Body!["keyId"]!.GetValue<string>()}");
        Assert.Equal(HttpStatusCode.NoContent, revoked.Status);

        Assert.Equal(401, await second.Page.EvaluateAsync<int>("async () => (await fetch('/api/workspace')).status"));
        Assert.Equal(200, await dashboard.Page.EvaluateAsync<int>("async () => (await fetch('/api/workspace')).status"));
    }

    [Fact]
    public async Task A_session_started_on_one_web_instance_is_valid_on_another()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Pro", "Two replicas");
        var secondWeb = await system.SecondWebAddress();
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignIn(workspace.ApiKey);

        // Same host, another port: the browser sends the same cookie, which the other replica must be able to read.
        var other = await dashboard.Page.Context.NewPageAsync();
        await other.GotoAsync(new Uri(secondWeb, "/").ToString());
        await Expect(other.Locator("#usage")).ToHaveTextAsync("0 of 50 numbers · Pro plan");
        await Expect(other.GetByRole(AriaRole.Status).Filter(new() { HasText = "Live" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_dashboard_works_from_the_keyboard_and_dialogs_give_focus_back()
    {
        var s = await DashboardSetup.Create(system);
        await using var dashboard = await system.OpenDashboard();
        var page = dashboard.Page;
        await Expect(page.GetByLabel("API key")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(s.Workspace.ApiKey);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Phone numbers" })).ToBeVisibleAsync();

        var chevron = page.GetByRole(AriaRole.Button, new() { Name = "Show numbers of Twilio" });
        await chevron.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Hide numbers of Twilio" })).ToHaveAttributeAsync("aria-expanded", "true");
        await Expect(dashboard.Card("Twilio")).ToContainTextAsync("No numbers yet.");

        await page.Keyboard.PressAsync("Tab");
        await Expect(dashboard.Card("Twilio").GetByRole(AriaRole.Button, new() { Name = "Add Number" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(dashboard.Dialog.GetByLabel("Phone Number")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("+15557770001");
        await page.Keyboard.PressAsync("Tab");
        await Expect(dashboard.Dialog.GetByLabel("Agent", new() { Exact = true })).ToBeFocusedAsync();
        await dashboard.Dialog.GetByLabel("Agent", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = "Receptionist" });
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        await Expect(dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Add Number" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(dashboard.Dialog).ToBeHiddenAsync();
        await Expect(dashboard.Card("Twilio").GetByRole(AriaRole.Button, new() { Name = "Add Number" })).ToBeFocusedAsync();
        await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "1 number");

        await page.GetByRole(AriaRole.Button, new() { Name = "Delete +15557770001" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(dashboard.Dialog).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(dashboard.Dialog).ToBeHiddenAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Delete +15557770001" })).ToBeFocusedAsync();
    }

    [Fact]
    public async Task The_live_hub_refuses_a_connection_without_a_session()
    {
        using var http = new HttpClient { BaseAddress = system.WebAddress };
        var negotiate = await http.PostAsync("/hubs/live/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, negotiate.StatusCode);
    }
}
