using System.Text;
using Convocore.Tests.Numbers;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Convocore.Tests.Dashboard;

/// <summary>Import and export on the numbers page: a checked file's bad rows shown, fixed, imported with progress; an export re-imported.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardImportTests(DashboardSystem system)
{
    private static FilePayload Csv(string name, params string[] rows) =>
        new() { Name = name, MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(NumberImportKit.Csv(rows)) };

    [Fact]
    public async Task A_file_with_a_bad_row_shows_the_row_and_once_fixed_imports_with_progress()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        var n = TestNumbers.Next(3);
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        var page = dashboard.Page;
        var file = page.GetByLabel("Import file");
        var result = page.Locator("#import-result");
        var report = page.GetByRole(AriaRole.Table);
        var import = page.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true });

        await file.SetInputFilesAsync(Csv("numbers.csv", $"{n[0]},Receptionist,Twilio,,", $"{n[1][1..]},Receptionist,Twilio,,", $"{n[2]},<img src=x onerror=window.pwned=1>,Twilio,,"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Check file" }).ClickAsync();

        await Expect(result).ToHaveTextAsync("Checked 3 rows: 1 to add, 0 to update, 0 unchanged, 2 with errors. Fix the rows below, or import only the valid rows.");
        await Expect(report.Locator("tr[data-row='2']")).ToContainTextAsync($"Invalid phone number format (did you mean {n[1]}?)");
        await Expect(report.Locator("tr[data-row='3']")).ToContainTextAsync("Agent not found");
        await Expect(import).ToBeDisabledAsync();
        Assert.Equal(0, await report.Locator("img").CountAsync());
        await dashboard.Screenshot("import-bad-rows");

        await file.SetInputFilesAsync(Csv("fixed.csv", $"{n[0]},Receptionist,Twilio,,", $"{n[1]},Receptionist,Twilio,,", $"{n[2]},Receptionist,Twilio,,"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Check file" }).ClickAsync();
        await Expect(result).ToHaveTextAsync("Checked 3 rows: 3 to add, 0 to update, 0 unchanged, 0 with errors.");
        await Expect(report).ToBeHiddenAsync();
        await import.ClickAsync();

        await Expect(page.GetByRole(AriaRole.Progressbar, new() { Name = "Import progress" })).ToBeVisibleAsync();
        await Expect(result).ToHaveTextAsync("Imported: 3 added, 0 updated, 0 unchanged, 0 with errors.");
        await Expect(page.GetByRole(AriaRole.Progressbar, new() { Name = "Import progress" })).ToHaveAttributeAsync("value", "100");
        await Expect(dashboard.Badge("Twilio")).ToHaveAttributeAsync("aria-label", "3 numbers");
        Assert.False(await page.EvaluateAsync<bool>("() => window.pwned === 1"));
        Assert.Empty(dashboard.PageErrors);
    }

    [Fact]
    public async Task An_exported_file_imported_again_changes_nothing()
    {
        var s = await DashboardSetup.Create(system, "Pro");
        foreach (var number in TestNumbers.Next(2)) await s.Add(number);
        await using var dashboard = await system.OpenDashboard();
        dashboard.WatchForErrors();
        await dashboard.SignInLive(s.Workspace.ApiKey);
        var page = dashboard.Page;

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "Export CSV" }).ClickAsync());
        var path = Path.Combine(Path.GetTempPath(), $"export-{Guid.NewGuid():N}.csv");
        await download.SaveAsAsync(path);
        await page.GetByLabel("Import file").SetInputFilesAsync(path);
        await page.GetByRole(AriaRole.Button, new() { Name = "Check file" }).ClickAsync();

        await Expect(page.Locator("#import-result")).ToHaveTextAsync("Checked 2 rows: 0 to add, 0 to update, 2 unchanged, 0 with errors.");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Import", Exact = true })).ToBeDisabledAsync();
        await dashboard.Screenshot("import-export-unchanged");
        File.Delete(path);
        Assert.Empty(dashboard.PageErrors);
    }
}
