using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Convocore.Contracts.Numbers;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>POST /api/numbers/import: the dry run's report, applying (idempotent), the modes, the plan, and the file's problems.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberImportTests(ConvocoreSystem system)
{
    [Fact]
    public async Task The_dry_run_reports_every_row_with_the_products_messages_and_changes_nothing()
    {
        var s = await NumberSetup.Create(system, "Pro");
        await s.Workspace.CreateAgent("Muted", voiceEnabled: false);
        var other = await NumberSetup.Create(system, "Pro");
        var n = TestNumbers.Next(9);
        await other.AddOk(n[6]);
        var csv = NumberImportKit.Csv(
            $"{n[0]},Receptionist,Twilio,,\"{{\"\"greeting\"\":\"\"hi, there\"\"}}\"",
            $"{n[1][1..]},{s.AgentId},{s.TrunkId},NA,",
            $"{n[2]},Nobody,Twilio,,",
            $"{n[3]},Receptionist,Nowhere,,",
            $"{n[4]},Receptionist,Twilio,XX,",
            $"{n[5]},Receptionist,Twilio,,[1]",
            $"{n[6]},Receptionist,Twilio,,",
            $"{n[7]},Muted,Twilio,,",
            $"{n[0]},Receptionist,Twilio,,",
            $"{n[8]},,Twilio,,",
            $"{n[8]},Receptionist");

        var report = await s.Api.ImportCsv(csv, dryRun: true);

        Assert.True(report.Status == HttpStatusCode.OK, report.ToString());
        var rows = report.Body!["rows"]!.AsArray();
        Assert.Equal(11, rows.Count);
        (string Status, string? Message) Of(int row) => (NumberImportKit.Row(report.Body!, row)["status"]!.GetValue<string>(), NumberImportKit.Row(report.Body!, row)["message"]?.GetValue<string>());
        Assert.Equal(("add", null), Of(1));
        Assert.Equal(("error", "Invalid phone number format"), Of(2));
        Assert.Equal($"did you mean {n[1]}?", NumberImportKit.Row(report.Body!, 2)["hint"]!.GetValue<string>());
        Assert.Equal(("error", "Agent not found"), Of(3));
        Assert.Equal(("error", "Trunk not found"), Of(4));
        Assert.Equal(("error", "Region must be NA or EU"), Of(5));
        Assert.Equal(("error", "additionalParams must be a JSON object"), Of(6));
        // Taken by another workspace: exactly what adding it alone answers, and nothing about whose it is.
        Assert.Equal(("error", "Phone number already exists"), Of(7));
        Assert.Equal(("error", "Agent is not voice-enabled"), Of(8));
        Assert.Equal(("error", "The number appears more than once in the file (first in row 1)"), Of(9));
        Assert.Equal(("error", "Agent is required"), Of(10));
        Assert.Equal(("error", "The row has 2 cells where the header has 5"), Of(11));
        Assert.Equal(1, report.Body!["summary"]!["add"]!.GetValue<int>());
        Assert.Equal(10, report.Body!["summary"]!["error"]!.GetValue<int>());
        Assert.Equal(0, await s.NumberCount());
        Assert.Null(await system.Client.GetGrain<IPhoneNumberGrain>(n[0]).GetAssignment());
    }

    [Fact]
    public async Task Applying_adds_the_numbers_and_applying_the_same_file_again_changes_nothing()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var n = TestNumbers.Next(3);
        var csv = NumberImportKit.Csv($"{n[0]},Receptionist,Twilio,,", $"{n[1]},{s.AgentId},Twilio,EU,\"{{\"\"lang\"\":\"\"de\"\"}}\"", $"{n[2]},Receptionist,{s.TrunkId},,");

        var first = await s.Api.ApplyCsv(csv);
        var second = await s.Api.ApplyCsv(csv);

        Assert.Equal("done", first["phase"]!.GetValue<string>());
        Assert.True(first["applied"]!.GetValue<bool>());
        Assert.Equal(["add", "add", "add"], NumberImportKit.Statuses(first));
        Assert.Equal(["unchanged", "unchanged", "unchanged"], NumberImportKit.Statuses(second));
        Assert.Equal(3, await s.NumberCount());
        var listed = await s.ListAll();
        Assert.Equal(n, listed.Select(i => i["phoneNumber"]!.GetValue<string>()));
        Assert.Equal("EU", listed[1]["region"]!.GetValue<string>());
        Assert.Equal("de", listed[1]["additionalParams"]!["lang"]!.GetValue<string>());
        Assert.Equal("NA", listed[0]["region"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_changed_agent_or_params_is_an_update_applied_in_place_and_member_order_is_not_a_change()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var sales = await s.Workspace.CreateAgent("Sales");
        var n = TestNumbers.Next(2);
        await s.Api.ApplyCsv(NumberImportKit.Csv($"{n[0]},Receptionist,Twilio,,\"{{\"\"a\"\":1,\"\"b\"\":2}}\"", $"{n[1]},Receptionist,Twilio,,"));

        var dry = await s.Api.ImportCsv(NumberImportKit.Csv($"{n[0]},Receptionist,Twilio,NA,\"{{ \"\"b\"\":2, \"\"a\"\":1 }}\"", $"{n[1]},Sales,Twilio,,"), dryRun: true);
        var applied = await s.Api.ApplyCsv(NumberImportKit.Csv($"{n[0]},Receptionist,Twilio,NA,\"{{ \"\"b\"\":2, \"\"a\"\":1 }}\"", $"{n[1]},Sales,Twilio,,"));

        Assert.Equal(["unchanged", "update"], NumberImportKit.Statuses(dry.Body!));
        Assert.Equal(["unchanged", "update"], NumberImportKit.Statuses(applied));
        Assert.Equal(sales, (await system.Client.GetGrain<IPhoneNumberGrain>(n[1]).GetAssignment())!.AgentId);
        var moved = await s.Api.ImportCsv(NumberImportKit.Csv($"{n[0]},Receptionist,Twilio,EU,"), dryRun: true);
        Assert.Equal("The number's region is NA: an import cannot change it; delete the number and add it again",
            NumberImportKit.Row(moved.Body!, 1)["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task All_or_nothing_applies_nothing_when_a_row_is_an_error_and_valid_rows_applies_the_rest()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var n = TestNumbers.Next(3);
        var csv = NumberImportKit.Csv($"{n[0]},Receptionist,Twilio,,", "12345,Receptionist,Twilio,,", $"{n[2]},Receptionist,Twilio,,");

        var none = await s.Api.ApplyCsv(csv, "all-or-nothing");
        Assert.False(none["applied"]!.GetValue<bool>());
        Assert.Equal(["add", "error", "add"], NumberImportKit.Statuses(none));
        Assert.Equal(ImportTexts.NotApplied, NumberImportKit.Row(none, 1)["message"]!.GetValue<string>());
        Assert.Equal(0, await s.NumberCount());

        var some = await s.Api.ApplyCsv(csv, "valid-rows");
        Assert.True(some["applied"]!.GetValue<bool>());
        Assert.Equal(["add", "error", "add"], NumberImportKit.Statuses(some));
        Assert.Equal([n[0], n[2]], await s.ListedNumbers());
    }

    [Fact]
    public async Task The_plan_limit_counts_the_files_own_adds_and_refuses_the_rows_past_it()
    {
        var s = await NumberSetup.Create(system, "Free");
        var n = TestNumbers.Next(7);
        foreach (var number in n[..3]) await s.AddOk(number);
        var csv = NumberImportKit.Csv(n.Select(x => $"{x},Receptionist,Twilio,,").ToArray());

        var dry = await s.Api.ImportCsv(csv, dryRun: true);
        var applied = await s.Api.ApplyCsv(csv, "valid-rows");

        string[] expected = ["unchanged", "unchanged", "unchanged", "add", "add", "error", "error"];
        Assert.Equal(expected, NumberImportKit.Statuses(dry.Body!));
        Assert.Equal(expected, NumberImportKit.Statuses(applied));
        Assert.Equal("Number limit reached: the Free plan allows 5 numbers", NumberImportKit.Row(applied, 6)["message"]!.GetValue<string>());
        Assert.Equal(5, await s.NumberCount());
    }

    [Fact]
    public async Task The_same_rows_as_JSON_are_read_as_the_CSV_is()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var n = TestNumbers.Next(2);
        var json = new JsonObject
        {
            ["numbers"] = new JsonArray(
                new JsonObject { ["phoneNumber"] = n[0], ["agent"] = "Receptionist", ["trunk"] = "Twilio", ["additionalParams"] = new JsonObject { ["x"] = 1 } },
                new JsonObject { ["phoneNumber"] = n[1], ["agent"] = 7, ["trunk"] = "Twilio" },
                new JsonObject { ["phoneNumber"] = n[1], ["agent"] = "Receptionist", ["trunk"] = "Twilio", ["colour"] = "red" }),
        }.ToJsonString();

        var report = await s.Api.ImportJson(json, dryRun: true);

        Assert.True(report.Status == HttpStatusCode.OK, report.ToString());
        Assert.Equal(["add", "error", "error"], NumberImportKit.Statuses(report.Body!));
        Assert.Equal("agent must be a string", NumberImportKit.Row(report.Body!, 2)["message"]!.GetValue<string>());
        Assert.Equal("The row has a field the import does not know: \"colour\"", NumberImportKit.Row(report.Body!, 3)["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("", 400, "The import file is empty: its first line must be the header phoneNumber,agent,trunk,region,fallback,additionalParams")]
    [InlineData("phoneNumber,agent,trunk,region,additionalParams\r\n", 400, "The import file has a header and no rows")]
    [InlineData("phoneNumber,agent,trunk,region\r\n+15550000001,a,b,NA\r\n", 400, "The import file's header lacks the column additionalParams (the columns are phoneNumber,agent,trunk,region,fallback,additionalParams)")]
    [InlineData("phoneNumber,agent,trunk,region,additionalParams,colour\r\n", 400, "The import file's header has a column the import does not know: \"colour\" (the columns are phoneNumber,agent,trunk,region,fallback,additionalParams)")]
    [InlineData("phoneNumber,agent,agent,trunk,region,additionalParams\r\n", 400, "The import file's header names the column agent twice")]
    [InlineData("phoneNumber,agent,trunk,region,additionalParams\r\n+15550000001,\"a,b,NA,\r\n", 400, "The import file is not valid CSV: the quote opened on line 2 is never closed")]
    [InlineData("phoneNumber,agent,trunk,region,additionalParams\r\n+15550000001,a\"b,t,NA,\r\n", 400, "The import file is not valid CSV: line 2 has a quote inside a cell that does not start with one")]
    public async Task A_file_that_is_not_an_import_is_a_400_problem_naming_what_is_wrong(string csv, int status, string detail)
    {
        var s = await NumberSetup.Create(system);
        (await s.Api.ImportCsv(csv, dryRun: true)).AssertProblem((HttpStatusCode)status, detail);
    }

    [Fact]
    public async Task Other_encodings_types_sizes_and_parameters_are_refused_with_a_problem()
    {
        var s = await NumberSetup.Create(system);
        var latin1 = new ByteArrayContent([.. Encoding.ASCII.GetBytes(NumberImportKit.Header + "\r\n+15550000001,Jos"), 0xE9, (byte)'\r', (byte)'\n']);
        latin1.Headers.ContentType = new("text/csv");
        (await s.Api.SendContent(HttpMethod.Post, "/api/numbers/import?dryRun=true", latin1)).AssertProblem(HttpStatusCode.BadRequest, "The import file must be UTF-8 text");

        var huge = new ByteArrayContent(Encoding.ASCII.GetBytes(NumberImportKit.Header + "\r\n" + new string('x', 9 * 1024 * 1024)));
        huge.Headers.ContentType = new("text/csv");
        (await s.Api.SendContent(HttpMethod.Post, "/api/numbers/import?dryRun=true", huge)).AssertProblem(HttpStatusCode.RequestEntityTooLarge, "The import file must be at most 8 MiB");

        var tooMany = NumberImportKit.Csv(Enumerable.Range(0, 10_001).Select(i => $"+1555{i:D7},a,b,,").ToArray());
        (await s.Api.ImportCsv(tooMany, dryRun: true)).AssertProblem(HttpStatusCode.RequestEntityTooLarge, "An import takes at most 10,000 rows: split the file");

        (await s.Api.Send(HttpMethod.Post, "/api/numbers/import?dryRun=true", "a;b", "text/plain"))
            .AssertProblem(HttpStatusCode.UnsupportedMediaType, "An import file is CSV (Content-Type: text/csv) or JSON (Content-Type: application/json), in UTF-8");
        (await s.Api.ImportJson("{\"numbers\": [", dryRun: true)).AssertProblem(HttpStatusCode.BadRequest, "The import file is not valid JSON");
        (await s.Api.ImportJson("[]", dryRun: true)).AssertProblem(HttpStatusCode.BadRequest,
            "A JSON import is an object with the rows in \"numbers\": {\"numbers\": [{\"phoneNumber\": \"+15551234567\", \"agent\": \"…\", \"trunk\": \"…\", \"region\": \"NA\", \"fallback\": null, \"additionalParams\": {}}]}");
        (await s.Api.ImportCsv(NumberImportKit.Csv("+15550000001,a,b,,"), dryRun: true, mode: "some")).AssertProblem(HttpStatusCode.BadRequest, "mode must be all-or-nothing or valid-rows");
        (await s.Api.SendContent(HttpMethod.Post, "/api/numbers/import?dryRun=yes", new StringContent(NumberImportKit.Csv("+15550000001,a,b,,"), Encoding.UTF8, "text/csv")))
            .AssertProblem(HttpStatusCode.BadRequest, "dryRun must be true or false");
    }

    [Fact]
    public async Task An_imports_progress_is_its_workspaces_only()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var other = await NumberSetup.Create(system, "Pro");
        var started = await s.Api.ImportCsv(NumberImportKit.Csv($"{TestNumbers.Next()},Receptionist,Twilio,,"), dryRun: false);
        Assert.Equal(HttpStatusCode.Accepted, started.Status);
        var id = started.Body!["id"]!.GetValue<string>();
        await s.Api.FollowImport(id);

        (await other.Api.Get($"/api/numbers/import/{id}")).AssertProblem(HttpStatusCode.NotFound, "Import not found");
        (await s.Api.Get("/api/numbers/import/abcdefabcdef")).AssertProblem(HttpStatusCode.NotFound, "Import not found");
    }
}
