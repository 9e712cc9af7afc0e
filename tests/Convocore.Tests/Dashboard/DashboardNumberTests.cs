using System.Net;
using System.Text.RegularExpressions;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>Managing numbers in the browser: add (valid and every refusal), delete, reassign, the plan limit.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardNumberTests(DashboardSystem system)
{
    [Fact]
    public async Task Adding_a_number_lists_it_and_updates_badge_and_usage()
    {
        var s = await DashboardSetup.Create(system);
        await s.Workspace.Api.Post("/api/agents", new { title = "Chat only", voiceEnabled = false });
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "0 numbers");

        await dashboard.OpenAddNumber("Twilio");
        await Expect(dashboard.Dialog.GetByLabel("Phone Number")).ToBeFocusedAsync();
        var chatOnly = dashboard.Dialog.GetByRole(AriaRole.Option, new() { Name = "Chat only (unavailable: Agent is not voice-enabled)" });
        await Expect(chatOnly).ToBeDisabledAsync();
        var number = TestNumbers.Next();
        await dashboard.FillNumber(number, "Receptionist");
        await dashboard.Screenshot("add-number-dialog");
        await dashboard.SubmitNumber();

        await Expect(dashboard.Dialog).ToBeHiddenAsync();
        await Expect(dashboard.Card("Twilio").GetByRole(AriaRole.Button, new() { Name = "Add Number" })).ToBeFocusedAsync();
        await Expect(dashboard.Page.GetByRole(AriaRole.Img, new() { Name = "1 number", Exact = true })).ToBeVisibleAsync();
        await Expect(dashboard.Usage).ToHaveTextAsync("1 of 5 numbers · Free plan");
        var row = dashboard.NumberRow(number);
        await Expect(row).ToContainTextAsync(number);
        await Expect(row).ToContainTextAsync("Receptionist");
        await Expect(row).ToContainTextAsync(s.AgentId);
        await Expect(row).ToContainTextAsync("NA");
        await dashboard.Screenshot("number-added");
        var listed = await s.Workspace.Api.Get($"/api/trunks/{s.TrunkId}/numbers");
        Assert.Equal(number, listed.Body!["items"]![0]!["phoneNumber"]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_refusal_shows_the_product_text_inline_or_from_the_server()
    {
        var s = await DashboardSetup.Create(system);
        var other = await DashboardSetup.Create(system);
        var existing = TestNumbers.Next();
        var elsewhere = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await s.Workspace.AddNumber(s.TrunkId, existing, s.AgentId)).Status);
        Assert.Equal(HttpStatusCode.Created, (await other.Workspace.AddNumber(other.TrunkId, elsewhere, other.AgentId)).Status);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Expand("Twilio");
        await Expect(dashboard.NumberRow(existing)).ToBeVisibleAsync();
        var phone = dashboard.Dialog.GetByLabel("Phone Number");
        var agent = dashboard.Dialog.GetByLabel("Agent", new() { Exact = true });

        // Known before submit: nothing is sent.
        await dashboard.OpenAddNumber("Twilio");
        await dashboard.SubmitNumber();
        await Expect(phone).ToHaveAccessibleDescriptionAsync(new Regex("Phone number is required"));
        await Expect(agent).ToHaveAccessibleDescriptionAsync(new Regex("Agent is required"));
        await Expect(phone).ToHaveAttributeAsync("aria-invalid", "true");
        await dashboard.Screenshot("add-number-required");

        await phone.FillAsync("555 123 4567");
        await agent.FocusAsync();
        await Expect(dashboard.Dialog).ToContainTextAsync("Invalid phone number format (did you mean +15551234567?)");

        await phone.FillAsync(existing);
        await agent.FocusAsync();
        await Expect(dashboard.Dialog).ToContainTextAsync("Phone number already exists");

        await phone.FillAsync(TestNumbers.Next());
        await dashboard.SubmitNumber();
        await Expect(dashboard.Dialog).ToContainTextAsync("Agent is required");
        await Expect(dashboard.Dialog).Not.ToContainTextAsync("Phone number");

        // Known only to the server.
        await dashboard.FillNumber("+1555", "Receptionist");
        await dashboard.SubmitNumber();
        await Expect(dashboard.Dialog).ToContainTextAsync("Invalid phone number format");

        await dashboard.FillNumber(elsewhere, "Receptionist");
        await dashboard.SubmitNumber();
        await Expect(dashboard.Dialog).ToContainTextAsync("Phone number already exists");
        await dashboard.Screenshot("add-number-exists-elsewhere");

        var emptyTrunk = await s.Workspace.CreateTrunk("Telnyx", "EU");
        await Expect(dashboard.Card("Telnyx")).ToBeVisibleAsync();
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await dashboard.OpenAddNumber("Telnyx");
        Assert.Equal(HttpStatusCode.NoContent, (await s.Workspace.Api.Delete($"/api/trunks/{emptyTrunk}")).Status);
        await dashboard.FillNumber(TestNumbers.Next(), "Receptionist");
        await dashboard.SubmitNumber();
        await Expect(dashboard.Dialog.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Trunk not found");

        await dashboard.Page.Keyboard.PressAsync("Escape");
        await Expect(dashboard.Dialog).ToBeHiddenAsync();
        Assert.Equal(1, await CountNumbers(s));
    }

    [Fact]
    public async Task Delete_asks_for_confirmation_then_removes_the_number_and_updates_the_badge()
    {
        var s = await DashboardSetup.Create(system);
        var kept = TestNumbers.Next();
        var deleted = TestNumbers.Next();
        await s.Add(kept);
        await s.Add(deleted);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "2 numbers");
        await dashboard.Card("Twilio").Locator(".card-head").ClickAsync();

        var delete = dashboard.Page.GetByRole(AriaRole.Button, new() { Name = $"Delete {deleted}", Exact = true });
        await delete.ClickAsync();
        await Expect(dashboard.Dialog).ToContainTextAsync($"Delete {deleted}?");
        await Expect(dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeFocusedAsync();
        await dashboard.Screenshot("delete-confirm");
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(delete).ToBeFocusedAsync();
        Assert.Equal(2, await CountNumbers(s));

        await delete.ClickAsync();
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Delete", Exact = true }).ClickAsync();

        await Expect(dashboard.NumberRow(deleted)).ToHaveCountAsync(0);
        await Expect(dashboard.NumberRow(kept)).ToBeVisibleAsync();
        await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "1 number");
        await Expect(dashboard.Usage).ToHaveTextAsync("1 of 5 numbers · Free plan");
        Assert.Equal(1, await CountNumbers(s));
    }

    [Fact]
    public async Task At_the_plan_limit_a_warning_shows_and_every_Add_Number_is_disabled_with_the_reason()
    {
        var s = await DashboardSetup.Create(system);
        await s.Workspace.CreateTrunk("Telnyx", "EU");
        var numbers = TestNumbers.Next(5);
        foreach (var n in numbers) await s.Add(n);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);

        await Expect(dashboard.Usage).ToHaveTextAsync("5 of 5 numbers · Free plan");
        await Expect(dashboard.LimitWarning).ToContainTextAsync("Number limit reached: the Free plan allows 5 numbers");
        var addButtons = dashboard.Page.GetByRole(AriaRole.Button, new() { Name = "Add Number" });
        await Expect(addButtons).ToHaveCountAsync(2);
        foreach (var button in await addButtons.AllAsync())
        {
            await Expect(button).ToBeDisabledAsync();
            await Expect(button).ToHaveAccessibleDescriptionAsync(new Regex("number limit of your plan is reached"));
        }
        await dashboard.Screenshot("plan-limit");

        // Freeing one slot anywhere (here through the API) enables them again, live.
        Assert.Equal(HttpStatusCode.NoContent, (await s.Workspace.Api.Delete($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(numbers[0])}")).Status);
        await Expect(dashboard.LimitWarning).ToBeHiddenAsync();
        foreach (var button in await addButtons.AllAsync()) await Expect(button).ToBeEnabledAsync();
        await Expect(dashboard.Usage).ToHaveTextAsync("4 of 5 numbers · Free plan");
    }

    [Fact]
    public async Task Enterprise_shows_no_limit()
    {
        var s = await DashboardSetup.Create(system, "Enterprise");
        foreach (var n in TestNumbers.Next(6)) await s.Add(n);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignIn(s.Workspace.ApiKey);

        await Expect(dashboard.Usage).ToHaveTextAsync("6 numbers · Enterprise plan (no limit)");
        await Expect(dashboard.LimitWarning).ToBeHiddenAsync();
        await Expect(dashboard.Card("Twilio").GetByRole(AriaRole.Button, new() { Name = "Add Number" })).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Reassign_points_the_number_at_another_agent_in_place()
    {
        var s = await DashboardSetup.Create(system);
        var night = await s.Workspace.CreateAgent("Night shift");
        var number = TestNumbers.Next();
        await s.Add(number);
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Expand("Twilio");
        var row = dashboard.NumberRow(number);
        var reassign = row.GetByRole(AriaRole.Button, new() { Name = $"Reassign {number}" });
        await Expect(reassign).ToBeDisabledAsync();

        await row.GetByLabel($"Agent for {number}").SelectOptionAsync(new SelectOptionValue { Label = "Night shift" });
        await reassign.ClickAsync();

        await Expect(row.Locator(".agent-title")).ToHaveTextAsync("Night shift");
        await Expect(row.Locator(".agent-id")).ToHaveTextAsync(night);
        await Expect(reassign).ToBeDisabledAsync();
        await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "1 number");
        var fetched = await s.Workspace.Api.Get($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}");
        Assert.Equal(night, fetched.Body!["agentId"]!.GetValue<string>());
        await dashboard.Screenshot("reassigned");
    }

    [Fact]
    public async Task Markup_in_an_agent_title_is_shown_as_text_and_never_runs()
    {
        const string title = "<img src=x onerror=\"window.__pwned=1;alert(1)\"><b>bold</b>";
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Free", "<script>window.__pwned=2</script>");
        var agentId = await workspace.CreateAgent(title);
        var trunkId = await workspace.CreateTrunk("<i>Twilio</i>");
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await workspace.AddNumber(trunkId, number, agentId)).Status);
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        var dialogs = 0;
        dashboard.Page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        await dashboard.SignInLive(workspace.ApiKey);
        await dashboard.Expand("<i>Twilio</i>");

        await Expect(dashboard.NumberRow(number).Locator(".agent-title")).ToHaveTextAsync(title);
        await Expect(dashboard.Page.Locator(".agent-name")).ToHaveTextAsync(title);
        await Expect(dashboard.Page.GetByRole(AriaRole.Heading, new() { Name = "<i>Twilio</i>", Exact = true })).ToBeVisibleAsync();
        await dashboard.OpenAddNumber("<i>Twilio</i>");
        await Expect(dashboard.Dialog.GetByRole(AriaRole.Option, new() { Name = title })).ToHaveCountAsync(1);
        await dashboard.Screenshot("markup-inert");

        Assert.Equal(0, await dashboard.Page.Locator("main img, main b, main i, dialog img").CountAsync());
        Assert.Null(await dashboard.Page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        Assert.Equal(0, dialogs);
        Assert.Empty(dashboard.PageErrors);
    }

    [Fact]
    public async Task A_new_workspace_sets_up_agents_and_SIP_providers_from_the_empty_states()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, "Pro", "Empty start");
        await using var dashboard = await system.OpenDashboard();
        await dashboard.SignInLive(workspace.ApiKey);
        var page = dashboard.Page;

        await page.GetByRole(AriaRole.Button, new() { Name = "Add agent" }).ClickAsync();
        await Expect(dashboard.Dialog.GetByLabel("Title")).ToBeFocusedAsync();
        await dashboard.Dialog.GetByLabel("Title").FillAsync("Front desk");
        await dashboard.Dialog.GetByLabel("Provider").SelectOptionAsync("azure");
        await dashboard.Dialog.GetByLabel("Voice ID").FillAsync("en-US-JennyNeural");
        await dashboard.Dialog.GetByLabel("Language").FillAsync("en-US");
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Create agent" }).ClickAsync();
        await Expect(page.Locator(".agent-name")).ToHaveTextAsync("Front desk");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add agent" })).ToBeFocusedAsync();

        // Edit: turning voice off makes it unavailable, with the reason.
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit agent Front desk" }).ClickAsync();
        await dashboard.Dialog.GetByLabel("Voice enabled").UncheckAsync();
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Save agent" }).ClickAsync();
        await Expect(page.Locator(".agent-voice")).ToHaveTextAsync("Cannot answer calls: Agent is not voice-enabled");
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit agent Front desk" }).ClickAsync();
        await dashboard.Dialog.GetByLabel("Voice enabled").CheckAsync();
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Save agent" }).ClickAsync();
        await Expect(page.Locator(".agent-voice")).ToHaveTextAsync(new Regex("^Answers calls: azure"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Add SIP provider" }).ClickAsync();
        await dashboard.Dialog.GetByLabel("Name").FillAsync("Vonage");
        await dashboard.Dialog.GetByLabel("Region").SelectOptionAsync("EU");
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Add SIP provider" }).ClickAsync();
        await Expect(dashboard.Card("Vonage")).ToContainTextAsync("EU");
        await Expect(page.GetByText("No SIP providers yet.")).ToBeHiddenAsync();

        await dashboard.Expand("Vonage");
        await Expect(dashboard.Card("Vonage")).ToContainTextAsync("No numbers yet.");
        await dashboard.OpenAddNumber("Vonage");
        var number = TestNumbers.Next();
        await dashboard.FillNumber(number, "Front desk");
        await dashboard.SubmitNumber();
        await Expect(dashboard.NumberRow(number)).ToContainTextAsync("EU");

        await dashboard.Card("Vonage").GetByRole(AriaRole.Button, new() { Name = "Deactivate Vonage" }).ClickAsync();
        await dashboard.Dialog.GetByRole(AriaRole.Button, new() { Name = "Deactivate" }).ClickAsync();
        await Expect(dashboard.Card("Vonage").GetByText("Inactive", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(dashboard.Card("Vonage").GetByRole(AriaRole.Button, new() { Name = "Activate Vonage" })).ToBeVisibleAsync();
        var trunks = await workspace.Api.Get("/api/trunks");
        Assert.False(trunks.Body![0]!["active"]!.GetValue<bool>());
        await dashboard.Screenshot("set-up-from-empty");
    }

    [Fact]
    public async Task At_360_px_nothing_scrolls_sideways_and_the_dialog_fits()
    {
        var s = await DashboardSetup.Create(system);
        await s.Add(TestNumbers.Next());
        await using var dashboard = await system.OpenDashboard(width: 360);
        await dashboard.SignInLive(s.Workspace.ApiKey);
        await dashboard.Expand("Twilio");
        Assert.True(await dashboard.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 360"), "horizontal scroll at 360 px");
        await dashboard.Screenshot("narrow-360");
        await dashboard.OpenAddNumber("Twilio");
        var box = await dashboard.Dialog.BoundingBoxAsync();
        Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= 360, $"dialog box {box?.X} + {box?.Width}");
        await dashboard.Screenshot("narrow-360-dialog");
    }

    private static async Task<int> CountNumbers(DashboardSetup s) =>
        (await s.Workspace.Api.Get("/api/workspace")).Body!["numberCount"]!.GetValue<int>();
}

/// <summary>A fresh workspace with an agent "Receptionist" and a trunk "Twilio" (NA), made through the API.</summary>
internal sealed record DashboardSetup(Workspace Workspace, string TrunkId, string AgentId)
{
    public static async Task<DashboardSetup> Create(ConvocoreSystem system, string plan = "Free")
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress, plan, "Dashboard test");
        return new DashboardSetup(workspace, await workspace.CreateTrunk(), await workspace.CreateAgent());
    }

    public async Task Add(string number)
    {
        var added = await Workspace.AddNumber(TrunkId, number, AgentId);
        Assert.True(added.Status == HttpStatusCode.Created, added.ToString());
    }
}
