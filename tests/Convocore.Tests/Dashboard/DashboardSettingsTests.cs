using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>Settings: the routing hook set (its secret shown once), changed, refused in words and removed; webhooks added (the
/// secret shown once), refused in words, their delivery log with redeliver, deleted.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardSettingsTests(DashboardSystem system)
{
    // A host that never resolves: deliveries stay pending, with the reason in the log.
    private const string Url = "https://hooks.convocore.invalid/events?<b>x</b>";

    [Fact]
    public async Task A_webhook_is_added_with_its_secret_shown_once_its_deliveries_redelivered_and_it_is_deleted()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        var page = dashboard.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Settings" })).ToBeVisibleAsync();
        await Expect(page.Locator("#webhooks-empty")).ToBeVisibleAsync();

        // Refused in the product's words.
        await page.GetByLabel("Receiver URL").FillAsync("http://hooks.convocore.invalid/events");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();
        await Expect(page.Locator("#webhook-form-error")).ToHaveTextAsync("url must be an absolute https URL");

        await page.GetByLabel("Receiver URL").FillAsync(Url);
        foreach (var type in new[] { "call.started", "call.routed", "call.failed", "call.ended", "number.updated", "number.deleted" })
            await page.GetByLabel(type, new() { Exact = true }).UncheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add webhook" }).ClickAsync();

        var secret = page.Locator("#webhook-secret-value");
        await Expect(secret).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^whsec_[0-9a-f]{64}$"));
        var item = page.Locator("#webhooks > li");
        await Expect(item).ToHaveCountAsync(1);
        // What was typed comes back as text, never as markup.
        await Expect(item.Locator(".webhook-url")).ToHaveTextAsync(Url);
        Assert.Equal(0, await item.Locator("b").CountAsync());
        await Expect(item).ToContainTextAsync("number.created");
        await dashboard.Screenshot("settings-webhook-secret");
        await page.GetByRole(AriaRole.Button, new() { Name = "I have copied it" }).ClickAsync();
        await Expect(page.Locator("#webhook-secret")).ToBeHiddenAsync();
        // Shown once: a fresh page lists the webhook without it.
        await page.ReloadAsync();
        await Expect(page.Locator("#webhooks > li")).ToHaveCountAsync(1);
        Assert.DoesNotContain("whsec_", await page.ContentAsync());

        var number = TestNumbers.Next();
        await s.Add(number);
        await page.GetByRole(AriaRole.Button, new() { Name = $"Deliveries of {Url}" }).ClickAsync();
        var row = page.Locator(".delivery-log tbody tr");
        // The first attempt is made in the background: refresh until the log shows it.
        for (var tries = 0; tries < 60 && !(await row.CountAsync() == 1 && (await row.InnerTextAsync()).Contains("the host name does not resolve")); tries++)
        {
            await Task.Delay(500);
            await page.GetByRole(AriaRole.Button, new() { Name = "Refresh" }).ClickAsync();
        }
        await Expect(row).ToContainTextAsync("connection failed: the host name does not resolve");
        await Expect(row).ToContainTextAsync("number.created");
        await Expect(row).ToContainTextAsync("pending");
        await dashboard.Screenshot("settings-webhook-deliveries");
        var eventId = await row.GetAttributeAsync("data-event");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Redeliver {eventId}" }).ClickAsync();
        await Expect(page.Locator(".delivery-log [role=status]")).ToHaveTextAsync($"number.created {eventId} is on its way again.");

        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete webhook {Url}" }).ClickAsync();
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Delete webhook" }).ClickAsync();
        await Expect(page.Locator("#webhooks > li")).ToHaveCountAsync(0);
        await Expect(page.Locator("#webhooks-empty")).ToBeVisibleAsync();
        Assert.Empty((await s.Workspace.Api.Get("/api/webhooks")).Body!.AsArray());
        Assert.Empty(dashboard.PageErrors);
    }

    [Fact]
    public async Task The_routing_hook_is_set_with_its_secret_shown_once_changed_without_a_new_one_refused_in_words_and_removed()
    {
        const string hookUrl = "https://hooks.convocore.invalid/route?<b>x</b>";
        var s = await DashboardSetup.Create(system, "Pro");
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        var page = dashboard.Page;
        await page.GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Expect(page.Locator("#hook-state")).ToHaveTextAsync("No routing hook: every call goes to its number's agent.");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Remove routing hook" })).ToBeHiddenAsync();

        // Refused in the product's words.
        await page.GetByLabel("Hook URL").FillAsync("http://hooks.convocore.invalid/route");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save routing hook" }).ClickAsync();
        await Expect(page.Locator("#hook-form-error")).ToHaveTextAsync("url must be an absolute https URL");
        await page.GetByLabel("Hook URL").FillAsync(hookUrl);
        await page.GetByLabel("Timeout (ms)").FillAsync("50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save routing hook" }).ClickAsync();
        await Expect(page.Locator("#hook-form-error")).ToHaveTextAsync("timeoutMs must be a whole number from 100 to 3000");

        await page.GetByLabel("Timeout (ms)").FillAsync("800");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save routing hook" }).ClickAsync();
        await Expect(page.Locator("#hook-secret-value")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^whsec_[0-9a-f]{64}$"));
        // What was typed comes back as text, never as markup.
        await Expect(page.Locator("#hook-state")).ToHaveTextAsync($"Calls to numbers with \"routing hook\" on ask {hookUrl} (timeout 800 ms).");
        Assert.Equal(0, await page.Locator("#hook-state b").CountAsync());
        var stored = (await s.Workspace.Api.Get("/api/workspace/routing-hook")).Body!;
        Assert.Equal((hookUrl, 800), (stored["url"]!.GetValue<string>(), stored["timeoutMs"]!.GetValue<int>()));
        await page.GetByRole(AriaRole.Button, new() { Name = "I have copied it" }).ClickAsync();
        await Expect(page.Locator("#hook-secret")).ToBeHiddenAsync();

        // A change keeps the secret: none is shown, and a fresh page shows the hook without it.
        await page.GetByLabel("Timeout (ms)").FillAsync("1200");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save routing hook" }).ClickAsync();
        await Expect(page.Locator("#hook-state")).ToContainTextAsync("(timeout 1200 ms)");
        await Expect(page.Locator("#hook-secret")).ToBeHiddenAsync();
        await page.ReloadAsync();
        await Expect(page.Locator("#hook-state")).ToContainTextAsync("(timeout 1200 ms)");
        Assert.DoesNotContain("whsec_", await page.ContentAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove routing hook" }).ClickAsync();
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Remove routing hook" }).ClickAsync();
        await Expect(page.Locator("#hook-state")).ToHaveTextAsync("No routing hook: every call goes to its number's agent.");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await s.Workspace.Api.Get("/api/workspace/routing-hook")).Status);
        Assert.Empty(dashboard.PageErrors);
    }
}
