using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>The dashboard as a user finds it: by role, label and accessible name only.</summary>
public sealed class DashboardPage(IPage page) : IAsyncDisposable
{
    private readonly List<string> pageErrors = [];

    public IPage Page { get; } = page;

    public IReadOnlyList<string> PageErrors => pageErrors;

    public ILocator Dialog => Page.GetByRole(AriaRole.Dialog);
    public ILocator Usage => Page.Locator("#usage");
    public ILocator LimitWarning => Page.Locator("#limit-warning");

    public void WatchForErrors() => Page.PageError += (_, error) => pageErrors.Add(error);

    public async Task SignIn(string apiKey)
    {
        await Page.GetByLabel("API key").FillAsync(apiKey);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Heading, new() { Name = "Phone numbers" })).ToBeVisibleAsync();
    }

    /// <summary>Signed in and the live connection up, so that what follows is pushed, not loaded.</summary>
    public async Task SignInLive(string apiKey)
    {
        await SignIn(apiKey);
        await Expect(Page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Live" })).ToBeVisibleAsync();
    }

    public ILocator Card(string trunkName) =>
        Page.Locator("#trunks > li").Filter(new() { Has = Page.GetByRole(AriaRole.Heading, new() { Name = trunkName, Exact = true }) });

    public ILocator Badge(string trunkName) => Card(trunkName).Locator(".badge");

    public async Task Expand(string trunkName)
    {
        var chevron = Card(trunkName).GetByRole(AriaRole.Button, new() { Name = $"Show numbers of {trunkName}" });
        await chevron.ClickAsync();
        await Expect(Card(trunkName).GetByRole(AriaRole.Button, new() { Name = $"Hide numbers of {trunkName}" })).ToBeVisibleAsync();
    }

    public ILocator NumberRow(string phoneNumber) =>
        Page.Locator(".number-row").Filter(new() { Has = Page.GetByRole(AriaRole.Button, new() { Name = $"Delete {phoneNumber}", Exact = true }) });

    public async Task OpenAddNumber(string trunkName)
    {
        await Card(trunkName).GetByRole(AriaRole.Button, new() { Name = "Add Number" }).ClickAsync();
        await Expect(Dialog).ToBeVisibleAsync();
    }

    public async Task FillNumber(string phoneNumber, string? agentTitle)
    {
        await Dialog.GetByLabel("Phone Number").FillAsync(phoneNumber);
        if (agentTitle is not null) await Dialog.GetByLabel("Agent", new() { Exact = true }).SelectOptionAsync(new SelectOptionValue { Label = agentTitle });
    }

    public Task SubmitNumber() => Dialog.GetByRole(AriaRole.Button, new() { Name = "Add Number" }).ClickAsync();

    public async Task Screenshot(string name) =>
        await Page.ScreenshotAsync(new() { Path = Path.Combine(DashboardSystem.ScreenshotFolder, name + ".png"), FullPage = true });

    public async ValueTask DisposeAsync() => await Page.Context.DisposeAsync();
}
