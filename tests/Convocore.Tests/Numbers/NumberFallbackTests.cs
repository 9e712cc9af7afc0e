using System.Net;
using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Numbers;

/// <summary>A number's fallback over the REST API: each refusal's fixed text, PATCH keeping and clearing it, every answer showing it.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberFallbackTests(ConvocoreSystem system)
{
    private static void AssertJson(string expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}, got {actual?.ToJsonString()}");

    private static string Path(NumberSetup s, string number) => $"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(number)}";

    private static Task<ApiResponse> AddWith(NumberSetup s, string number, object? fallback) =>
        s.Api.Post($"/api/trunks/{s.TrunkId}/numbers", new { phoneNumber = number, agentId = s.AgentId, fallback });

    [Fact]
    public async Task Each_kind_of_fallback_is_stored_and_shown_in_every_answer_for_the_number()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var other = await s.Workspace.CreateAgent("Night desk");
        var byAgent = TestNumbers.Next();
        var byNumber = TestNumbers.Next();
        var bySip = TestNumbers.Next();

        var added = await AddWith(s, byAgent, new { type = "agent", agentId = other });
        Assert.True(added.Status == HttpStatusCode.Created, added.ToString());
        AssertJson($$"""{"type":"agent","agentId":"{{other}}"}""", added.Body!["fallback"]);
        Assert.Equal(HttpStatusCode.Created, (await AddWith(s, byNumber, new { type = "number", phoneNumber = "+15550001111" })).Status);
        Assert.Equal(HttpStatusCode.Created, (await AddWith(s, bySip, new { type = "sip", uri = "sip:desk@pbx.example.com:5070" })).Status);

        AssertJson("""{"type":"number","phoneNumber":"+15550001111"}""", (await s.Api.Get(Path(s, byNumber))).Body!["fallback"]);
        var listed = (await s.ListAll()).ToDictionary(n => n["phoneNumber"]!.GetValue<string>());
        AssertJson("""{"type":"sip","uri":"sip:desk@pbx.example.com:5070"}""", listed[bySip]["fallback"]);
        var global = (await s.Api.Get("/api/numbers")).Body!["items"]!.AsArray().ToDictionary(n => n!["phoneNumber"]!.GetValue<string>());
        Assert.Equal(other, global[byAgent]!["fallback"]!["agentId"]!.GetValue<string>());
        var exported = (await s.Api.Get("/api/numbers/export?format=json")).Body!["numbers"]!.AsArray().ToDictionary(n => n!["phoneNumber"]!.GetValue<string>());
        Assert.Equal("sip", exported[bySip]!["fallback"]!["type"]!.GetValue<string>());
        Assert.Null(exported[byAgent]!["fallback"]!["uri"]);
    }

    [Fact]
    public async Task A_number_without_a_fallback_shows_null()
    {
        var s = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        var added = await s.Add(number);
        Assert.Equal(HttpStatusCode.Created, added.Status);
        Assert.True(added.Body!.AsObject().ContainsKey("fallback"));
        Assert.Null(added.Body!["fallback"]);
    }

    [Fact]
    public async Task Refusals_have_their_fixed_texts_and_an_agent_of_another_workspace_reads_as_not_found()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var stranger = await NumberSetup.Create(system);

        (await AddWith(s, TestNumbers.Next(), new { type = "agent", agentId = "nosuchagent0" })).AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        (await AddWith(s, TestNumbers.Next(), new { type = "agent", agentId = stranger.AgentId })).AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        var national = await AddWith(s, TestNumbers.Next(), new { type = "number", phoneNumber = "5551234567" });
        national.AssertProblem(HttpStatusCode.BadRequest, "Invalid phone number format");
        Assert.Equal("did you mean +15551234567?", national.Body!["hint"]!.GetValue<string>());
        (await AddWith(s, TestNumbers.Next(), new { type = "number", phoneNumber = "" })).AssertProblem(HttpStatusCode.BadRequest, "Phone number is required");
        foreach (var uri in new[] { "sip:desk", "desk@pbx.example.com", "sip:desk@pbx.example.com,t", "sip:de sk@pbx.example.com",
                     "sip:desk@pbx.example.com&PJSIP/evil", "sip:${EVIL}@pbx.example.com", "sips:desk@pbx.example.com", "sip:@pbx.example.com" })
            (await AddWith(s, TestNumbers.Next(), new { type = "sip", uri })).AssertProblem(HttpStatusCode.BadRequest, "Invalid SIP URI");
        foreach (var shape in new object[] { "sip:desk@pbx.example.com", new { type = "voicemail" }, new { type = "sip" },
                     new { type = "sip", uri = "sip:a@b.c", agentId = s.AgentId }, new { type = "agent", agentId = 7 } })
            (await AddWith(s, TestNumbers.Next(), shape)).AssertProblem(HttpStatusCode.BadRequest,
                "fallback must be null or an object with type agent (and agentId), number (and phoneNumber) or sip (and uri)");

        // The same texts on PUT and PATCH.
        var number = TestNumbers.Next();
        await s.AddOk(number);
        (await s.Api.Put(Path(s, number), new { agentId = s.AgentId, additionalParams = (object?)null, fallback = new { type = "sip", uri = "sip:x" } }))
            .AssertProblem(HttpStatusCode.BadRequest, "Invalid SIP URI");
        (await s.Api.Patch(Path(s, number), new { fallback = new { type = "agent", agentId = stranger.AgentId } }))
            .AssertProblem(HttpStatusCode.NotFound, "Agent not found");
        Assert.Null((await s.Api.Get(Path(s, number))).Body!["fallback"]);
    }

    [Fact]
    public async Task Patch_keeps_the_fallback_when_absent_replaces_it_whole_and_clears_it_with_null()
    {
        var s = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await AddWith(s, number, new { type = "agent", agentId = s.AgentId })).Status);
        var sales = await s.Workspace.CreateAgent("Sales");

        var reassigned = await s.Api.Patch(Path(s, number), new { agentId = sales });
        Assert.Equal(HttpStatusCode.OK, reassigned.Status);
        Assert.Equal(s.AgentId, reassigned.Body!["fallback"]!["agentId"]!.GetValue<string>());

        // Another type replaces the object whole: the agent's member does not linger.
        var replaced = await s.Api.Patch(Path(s, number), new { fallback = new { type = "sip", uri = "sip:desk@10.0.0.5" } });
        Assert.True(replaced.Status == HttpStatusCode.OK, replaced.ToString());
        AssertJson("""{"type":"sip","uri":"sip:desk@10.0.0.5"}""", replaced.Body!["fallback"]);
        Assert.Equal(sales, replaced.Body!["agentId"]!.GetValue<string>());

        var cleared = await s.Api.Send(HttpMethod.Patch, Path(s, number), """{"fallback":null}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, cleared.Status);
        Assert.Null(cleared.Body!["fallback"]);
        Assert.Null((await s.Api.Get(Path(s, number))).Body!["fallback"]);

        // PUT replaces: with it, then without it (none).
        var put = await s.Api.Put(Path(s, number), new { agentId = sales, additionalParams = (object?)null, fallback = new { type = "number", phoneNumber = "+15550002222" } });
        Assert.Equal("+15550002222", put.Body!["fallback"]!["phoneNumber"]!.GetValue<string>());
        var putWithout = await s.Api.Put(Path(s, number), new { agentId = sales, additionalParams = (object?)null });
        Assert.Equal(HttpStatusCode.OK, putWithout.Status);
        Assert.Null(putWithout.Body!["fallback"]);
    }

    [Fact]
    public async Task An_agent_that_is_a_numbers_fallback_cannot_be_deleted_until_the_fallback_changes()
    {
        var s = await NumberSetup.Create(system);
        var backup = await s.Workspace.CreateAgent("Backup");
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await AddWith(s, number, new { type = "agent", agentId = backup })).Status);

        (await s.Api.Delete($"/api/agents/{backup}")).AssertProblem(HttpStatusCode.Conflict,
            "Agent is still the fallback of 1 number: change their fallback first");

        Assert.Equal(HttpStatusCode.OK, (await s.Api.Patch(Path(s, number), new { fallback = new { type = "number", phoneNumber = "+15550003333" } })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await s.Api.Delete($"/api/agents/{backup}")).Status);
    }
}

/// <summary>The fallback column of the import and the export: an export re-imports to unchanged, in both formats.</summary>
[Collection(SystemCollection.Name)]
public sealed class NumberFallbackImportTests(ConvocoreSystem system)
{
    [Fact]
    public async Task The_fallback_column_is_imported_exported_and_re_imported_as_unchanged()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var backup = await s.Workspace.CreateAgent("Backup desk");
        var n = TestNumbers.Next(6);
        var csv = "phoneNumber,agent,trunk,region,fallback,additionalParams\r\n" +
                  $"{n[0]},Receptionist,Twilio,,agent:Backup desk,\r\n" +
                  $"{n[1]},Receptionist,Twilio,,number:+15550004444,\r\n" +
                  $"{n[2]},Receptionist,Twilio,,sip:desk@pbx.example.com,\r\n" +
                  $"{n[3]},Receptionist,Twilio,,,\r\n" +
                  $"{n[4]},Receptionist,Twilio,,sip:bad uri,\r\n" +
                  $"{n[5]},Receptionist,Twilio,,voicemail:1,\r\n";

        var checkedReport = await s.Api.ImportCsv(csv, dryRun: true);
        Assert.True(checkedReport.Status == HttpStatusCode.OK, checkedReport.ToString());
        Assert.Equal(["add", "add", "add", "add", "error", "error"], NumberImportKit.Statuses(checkedReport.Body!));
        Assert.Equal("Invalid SIP URI", NumberImportKit.Row(checkedReport.Body!, 5)["message"]!.GetValue<string>());
        Assert.Equal("fallback must be empty, agent:<id or title>, number:+E164 or sip:user@host",
            NumberImportKit.Row(checkedReport.Body!, 6)["message"]!.GetValue<string>());

        var applied = await s.Api.ApplyCsv(csv, mode: "valid-rows");
        Assert.Equal("done", applied["phase"]!.GetValue<string>());
        var stored = await s.Api.Get($"/api/trunks/{s.TrunkId}/numbers/{TestNumbers.Escaped(n[0])}");
        Assert.Equal(backup, stored.Body!["fallback"]!["agentId"]!.GetValue<string>());

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(system.WebAddress, "/api/numbers/export?format=csv"));
        request.Headers.Authorization = new("Bearer", s.Workspace.ApiKey);
        using var response = await http.SendAsync(request);
        var exported = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("phoneNumber,agent,trunk,region,fallback,additionalParams", exported);
        Assert.Contains($",agent:{backup},", exported);
        Assert.Contains(",number:+15550004444,", exported);
        Assert.Contains(",sip:desk@pbx.example.com,", exported);
        var again = await s.Api.ImportCsv(exported, dryRun: true);
        Assert.Equal(["unchanged", "unchanged", "unchanged", "unchanged"], NumberImportKit.Statuses(again.Body!));

        var json = (await s.Api.Get("/api/numbers/export?format=json")).Body!.ToJsonString();
        var jsonAgain = await s.Api.ImportJson(json, dryRun: true);
        Assert.True(jsonAgain.Status == HttpStatusCode.OK, jsonAgain.ToString());
        Assert.Equal(["unchanged", "unchanged", "unchanged", "unchanged"], NumberImportKit.Statuses(jsonAgain.Body!));

        // A changed fallback is an update; a file without the column sets none.
        var changed = await s.Api.ImportCsv(exported.Replace("number:+15550004444", "number:+15550005555"), dryRun: true);
        Assert.Equal(["unchanged", "update", "unchanged", "unchanged"], NumberImportKit.Statuses(changed.Body!));
        var withoutColumn = await s.Api.ImportCsv(NumberImportKit.Csv($"{n[3]},Receptionist,Twilio,,", $"{n[2]},Receptionist,Twilio,,"), dryRun: true);
        Assert.Equal(["unchanged", "update"], NumberImportKit.Statuses(withoutColumn.Body!));
    }
}
