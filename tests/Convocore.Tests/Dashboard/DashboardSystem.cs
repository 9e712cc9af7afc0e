using Convocore.AriSimulator;
using Convocore.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Playwright;

namespace Convocore.Tests.Dashboard;

/// <summary>
/// The whole system (Redis, two silos, the web app on Kestrel) plus a headless Debian Chromium driven by Playwright.
/// The browser is the system's own: Playwright never downloads one, and its driver runs on the node it ships.
/// The silos are connected to our ARI simulator (as in <see cref="Routing.RoutingSystem"/>), so a test can place calls
/// that the analytics page then shows.
/// </summary>
public sealed class DashboardSystem : ConvocoreSystem
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private WebApplicationFactory<Convocore.Web.ClusterHealthCheck>? secondWeb;
    private readonly SemaphoreSlim secondWebGate = new(1, 1);

    public const string Application = "convocore";

    public AriSimulator.AriSimulator Asterisk { get; } = new(new AriSimulatorOptions { Username = "convocore", Password = "ari-secret" });

    protected override IEnumerable<KeyValuePair<string, string?>> SiloSettings => new Dictionary<string, string?>
    {
        ["Convocore:Asterisk:Servers:0:Name"] = "dashboard-na",
        ["Convocore:Asterisk:Servers:0:Region"] = "NA",
        ["Convocore:Asterisk:Servers:0:AriUrl"] = Asterisk.BaseUrl.ToString(),
        ["Convocore:Asterisk:Servers:0:Username"] = "convocore",
        ["Convocore:Asterisk:Servers:0:Password"] = "ari-secret",
    };

    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public override async Task InitializeAsync()
    {
        await Asterisk.StartAsync();
        await base.InitializeAsync();
        await Asterisk.WaitForEventConnectionCountAsync(Application, 1).WaitAsync(TimeSpan.FromSeconds(30));
        Assertions.SetDefaultExpectTimeout(10_000);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    /// <summary>A second replica of the web app on the same cluster, started once and shared by the tests that need it.</summary>
    public async Task<Uri> SecondWebAddress()
    {
        await secondWebGate.WaitAsync();
        try
        {
            secondWeb ??= StartAnotherWeb();
            return secondWeb.CreateClient().BaseAddress!;
        }
        finally
        {
            secondWebGate.Release();
        }
    }

    public async Task<DashboardPage> OpenDashboard(Uri? at = null, int width = 1100)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = (at ?? WebAddress).ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
        });
        var page = await context.NewPageAsync();
        var dashboard = new DashboardPage(page);
        await page.GotoAsync("/");
        return dashboard;
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (secondWeb is not null) await secondWeb.DisposeAsync();
        await base.DisposeAsync();
        await Asterisk.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class DashboardCollection : ICollectionFixture<DashboardSystem>
{
    public const string Name = "dashboard";
}
