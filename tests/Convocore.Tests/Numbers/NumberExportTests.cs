using System.Net;
using System.Text;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>GET /api/numbers/export: every number in the import's format, which re-imports to unchanged.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberExportTests(ConvocoreSystem system)
{
    private static readonly HttpClient Http = new();

    private async Task<(string ContentType, string Text)> ExportCsv(Workspace workspace)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(system.WebAddress, "/api/numbers/export?format=csv"));
        request.Headers.Authorization = new("Bearer", workspace.ApiKey);
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response.Content.Headers.ContentType!.ToString(), await response.Content.ReadAsStringAsync());
    }

    private static async Task<NumberSetup> Populated(ConvocoreSystem system)
    {
        var s = await NumberSetup.Create(system, "Pro");
        var eu = await s.Workspace.CreateTrunk("Vonage", "EU");
        var sales = await s.Workspace.CreateAgent("Sales");
        var n = TestNumbers.Next(3);
        await s.Api.ApplyCsv(NumberImportKit.Csv(
            $"{n[0]},Receptionist,Twilio,,\"{{\"\"note\"\":\"\"=cmd|' /C calc'!A0\"\",\"\"q\"\":\"\"say \\\"\"hi\\\"\", then\"\"}}\"",
            $"{n[1]},{sales},Vonage,,",
            $"{n[2]},Sales,Twilio,EU,"));
        Assert.Equal(3, await s.NumberCount());
        _ = eu;
        return s;
    }

    [Fact]
    public async Task The_CSV_export_reimports_to_unchanged_everywhere()
    {
        var s = await Populated(system);

        var (contentType, csv) = await ExportCsv(s.Workspace);
        var again = await s.Api.ImportCsv(csv, dryRun: true);
        var applied = await s.Api.ApplyCsv(csv);

        Assert.Equal("text/csv; charset=utf-8", contentType);
        Assert.StartsWith("phoneNumber,agent,trunk,region,fallback,additionalParams\r\n", csv);
        Assert.True(again.Status == HttpStatusCode.OK, again.ToString());
        Assert.Equal(["unchanged", "unchanged", "unchanged"], NumberImportKit.Statuses(again.Body!));
        Assert.Equal(["unchanged", "unchanged", "unchanged"], NumberImportKit.Statuses(applied));
    }

    [Fact]
    public async Task The_JSON_export_reimports_to_unchanged_everywhere()
    {
        var s = await Populated(system);

        var export = await s.Api.Get("/api/numbers/export?format=json");
        var again = await s.Api.ImportJson(export.Body!.ToJsonString(), dryRun: true);

        Assert.Equal(HttpStatusCode.OK, export.Status);
        Assert.Equal(3, export.Body!["numbers"]!.AsArray().Count);
        Assert.Equal("EU", export.Body!["numbers"]![1]!["region"]!.GetValue<string>());
        Assert.Equal(["unchanged", "unchanged", "unchanged"], NumberImportKit.Statuses(again.Body!));
    }

    [Fact]
    public async Task No_exported_CSV_cell_starts_with_what_a_spreadsheet_runs_as_a_formula()
    {
        var s = await Populated(system);

        var (_, csv) = await ExportCsv(s.Workspace);

        var cells = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .SelectMany(line => line.Split(',')).Select(c => c.TrimStart('"')).Where(c => c.Length > 0).ToArray();
        Assert.All(cells, c => Assert.DoesNotContain(c[0], "=+-@"));
        Assert.StartsWith("'+1555", csv.Split("\r\n")[1]);
    }

    [Fact]
    public async Task An_export_holds_only_the_workspaces_numbers_and_an_unknown_format_is_a_400()
    {
        var s = await Populated(system);
        var empty = await NumberSetup.Create(system);

        var (_, csv) = await ExportCsv(empty.Workspace);

        Assert.Equal("phoneNumber,agent,trunk,region,fallback,additionalParams\r\n", csv);
        (await s.Api.Get("/api/numbers/export?format=xlsx")).AssertProblem(HttpStatusCode.BadRequest, "format must be csv or json");
    }
}
