using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Audit;

/// <summary>
/// GET /api/audit over real HTTP against two silos and a real Redis: every kind of change makes its entry, with who made
/// it, from where, and the fields before and after (never a secret); filters, paging, workspace isolation, bad queries.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class AuditLogTests(ConvocoreSystem system)
{
    private ApiClient Operator => new(system.WebAddress, ConvocoreSystem.OperatorKey);

    [Fact]
    public async Task Every_kind_of_change_is_logged_with_its_actor_source_and_the_fields_before_and_after()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Free", "Audited");
        var keyId = await KeyId(ws);
        Assert.Equal(HttpStatusCode.OK, (await Operator.Put($"/api/admin/workspaces/{ws.Id}/plan", new { plan = "Pro" })).Status);
        var issued = await Operator.Post($"/api/admin/workspaces/{ws.Id}/api-keys");
        var secondKeyId = issued.Body!["keyId"]!.GetValue<string>();
        var secondKey = issued.Body!["apiKey"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await Operator.Delete($"/api/admin/workspaces/{ws.Id}/api-keys/{secondKeyId}")).Status);

        var agent = await ws.CreateAgent("Reception");
        Assert.Equal(HttpStatusCode.OK, (await ws.Api.Patch($"/api/agents/{agent}", new { title = "Front desk" })).Status);
        var trunk = await ws.CreateTrunk("Twilio");
        Assert.Equal(HttpStatusCode.OK, (await ws.Api.Patch($"/api/trunks/{trunk}", new { active = false })).Status);
        Assert.Equal(HttpStatusCode.OK, (await ws.Api.Patch($"/api/trunks/{trunk}", new { active = true })).Status);
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await ws.AddNumber(trunk, number, agent, new { greeting = "hi" })).Status);
        var agent2 = await ws.CreateAgent("Sales");
        Assert.Equal(HttpStatusCode.OK, (await ws.Api.Patch($"/api/trunks/{trunk}/numbers/{TestNumbers.Escaped(number)}", new { agentId = agent2 })).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Api.Delete($"/api/trunks/{trunk}/numbers/{TestNumbers.Escaped(number)}")).Status);
        var hook = await ws.Api.Post("/api/webhooks", new { url = "https://hooks.example.com/audit", events = new[] { "number.created" } });
        var hookId = hook.Body!["id"]!.GetValue<string>();
        var hookSecret = hook.Body!["secret"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Api.Delete($"/api/webhooks/{hookId}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Api.Delete($"/api/agents/{agent2}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Api.Delete($"/api/agents/{agent}")).Status);

        var entries = await ws.Api.AllEntries();
        var text = string.Join("\n", entries.Select(e => e.ToJsonString()));

        var created = entries.Single("workspace.created", ws.Id);
        Assert.Equal(("operator", "operator"), (S(created, "actor"), S(created, "source")));
        Assert.Equal("Audited", created["after"]!["name"]!.GetValue<string>());
        var plan = entries.Single("workspace.planChanged", ws.Id);
        Assert.Equal(("Free", "Pro"), (plan["before"]!["plan"]!.GetValue<string>(), plan["after"]!["plan"]!.GetValue<string>()));
        Assert.Equal(keyId, entries.Single("apiKey.created", keyId)["after"]!["keyId"]!.GetValue<string>());
        entries.Single("apiKey.created", secondKeyId);
        Assert.Null(entries.Single("apiKey.revoked", secondKeyId)["after"]);

        var agentCreated = entries.Single("agent.created", agent);
        Assert.Equal((keyId, "api"), (S(agentCreated, "actor"), S(agentCreated, "source")));
        Assert.Null(agentCreated["before"]);
        Assert.Equal("Reception", agentCreated["after"]!["title"]!.GetValue<string>());
        Assert.Equal(["title", "voiceEnabled", "voice"], agentCreated["after"]!.AsObject().Select(p => p.Key));
        var renamed = entries.Single("agent.updated", agent);
        // Only what changed: the title, not the voice.
        Assert.Equal("""{"title":"Reception"}""", renamed["before"]!.ToJsonString());
        Assert.Equal("""{"title":"Front desk"}""", renamed["after"]!.ToJsonString());
        Assert.Equal("Front desk", entries.Single("agent.deleted", agent)["before"]!["title"]!.GetValue<string>());
        entries.Single("trunk.created", trunk);
        var trunkUpdates = entries.Where(e => e.Action() == "trunk.updated" && e.TargetId() == trunk).ToList();
        Assert.Equal(2, trunkUpdates.Count);
        // Newest first.
        Assert.Equal(("false", "true"), (trunkUpdates[0]["before"]!["active"]!.ToJsonString(), trunkUpdates[0]["after"]!["active"]!.ToJsonString()));

        var added = entries.Single("number.added", number);
        Assert.Equal(agent, added["after"]!["agentId"]!.GetValue<string>());
        Assert.Equal("hi", added["after"]!["additionalParams"]!["greeting"]!.GetValue<string>());
        var reassigned = entries.Single("number.updated", number);
        Assert.Equal(("""{"agentId":"%s"}""".Replace("%s", agent), """{"agentId":"%s"}""".Replace("%s", agent2)),
            (reassigned["before"]!.ToJsonString(), reassigned["after"]!.ToJsonString()));
        var deleted = entries.Single("number.deleted", number);
        Assert.Equal(agent2, deleted["before"]!["agentId"]!.GetValue<string>());
        Assert.Null(deleted["after"]);
        Assert.Equal("https://hooks.example.com/audit", entries.Single("webhook.created", hookId)["after"]!["url"]!.GetValue<string>());
        entries.Single("webhook.deleted", hookId);

        // Secrets never: not the webhook's, not a key, not a key's hash.
        Assert.DoesNotContain(hookSecret, text);
        Assert.DoesNotContain(ws.ApiKey, text);
        Assert.DoesNotContain(secondKey, text);
        Assert.DoesNotContain("secret", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hash", text, StringComparison.OrdinalIgnoreCase);

        // Newest first, ids in time order.
        var ids = entries.Select(e => S(e, "id")).ToList();
        Assert.Equal(ids.OrderByDescending(i => i, StringComparer.Ordinal), ids);
    }

    [Fact]
    public async Task Import_rows_are_logged_with_the_import_source_and_the_key_that_started_it()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var keyId = await KeyId(s.Workspace);
        var numbers = TestNumbers.Next(3);
        var report = await s.Api.ApplyCsv(NumberImportKit.Csv(numbers.Select(n => $"{n},Receptionist,Twilio,,").ToArray()));
        Assert.All(NumberImportKit.Statuses(report), status => Assert.Equal("add", status));

        var entries = await s.Api.AllEntries("target=number");
        Assert.Equal(numbers.Order(), entries.Select(e => e.TargetId()).Order());
        Assert.All(entries, e => Assert.Equal(("number.added", keyId, "import"), (e.Action(), S(e, "actor"), S(e, "source"))));
    }

    [Fact]
    public async Task A_dashboard_session_is_logged_as_its_key_with_the_dashboard_source()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress);
        var keyId = await KeyId(ws);
        // The session cookie is Secure outside Development, so it is carried by hand over this plain-HTTP test server.
        using var browser = new HttpClient { BaseAddress = system.WebAddress };
        browser.DefaultRequestHeaders.Add("X-Convocore-Request", "1");
        var signIn = await browser.PostAsJsonAsync("/api/session", new { apiKey = ws.ApiKey });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("convocore_session=", StringComparison.Ordinal)).Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/agents")
        {
            Content = JsonContent.Create(new { title = "By browser", voiceEnabled = true, voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" } }),
        };
        request.Headers.Add("Cookie", cookie);
        var created = await browser.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var agentId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        var entry = (await ws.Api.AllEntries()).Single("agent.created", agentId);
        Assert.Equal((keyId, "dashboard"), (S(entry, "actor"), S(entry, "source")));
    }

    [Fact]
    public async Task Filters_by_target_actor_and_time_and_pages_newest_first_with_a_cursor()
    {
        var s = await NumberSetup.Create(system, "Pro");
        var keyId = await KeyId(s.Workspace);
        var numbers = TestNumbers.Next(7);
        foreach (var n in numbers) await s.AddOk(n);
        var middle = DateTimeOffset.UtcNow;
        await Task.Delay(20);
        var agent = await s.Workspace.CreateAgent("Later");

        var all = await s.Api.AllEntries();
        var paged = await s.Api.AllEntries(limit: 2);
        Assert.Equal(all.Select(e => S(e, "id")), paged.Select(e => S(e, "id")));
        var first = await s.Api.Get("/api/audit?limit=2");
        Assert.Equal(2, first.Body!["items"]!.AsArray().Count);
        Assert.NotNull(first.Body!["nextCursor"]);
        Assert.Equal(agent, first.Body!["items"]![0]!.TargetId());

        Assert.Equal(numbers[3], Assert.Single(await s.Api.AllEntries("target=" + Uri.EscapeDataString(numbers[3]))).TargetId());
        var numberEntries = await s.Api.AllEntries("target=number", limit: 3);
        Assert.Equal(numbers.Reverse(), numberEntries.Select(e => e.TargetId()));
        Assert.Equal(all.Count(e => S(e, "actor") == keyId), (await s.Api.AllEntries("actor=" + keyId)).Count);
        Assert.All(await s.Api.AllEntries("actor=operator"), e => Assert.Equal("operator", S(e, "actor")));

        var since = Uri.EscapeDataString(middle.ToString("O"));
        Assert.Equal(agent, Assert.Single(await s.Api.AllEntries("from=" + since)).TargetId());
        var before = await s.Api.AllEntries("to=" + since);
        Assert.Equal(all.Count - 1, before.Count);
        Assert.DoesNotContain(before, e => e.TargetId() == agent);
    }

    [Fact]
    public async Task Another_workspaces_entries_never_show()
    {
        var mine = await NumberSetup.Create(system);
        var theirs = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        await theirs.AddOk(number);

        var entries = await mine.Api.AllEntries();
        Assert.NotEmpty(entries);
        Assert.DoesNotContain(entries, e => e.TargetId() == number || e.TargetId() == theirs.AgentId || e.TargetId() == theirs.TrunkId || e.TargetId() == theirs.Workspace.Id);
        Assert.Empty(await mine.Api.AllEntries("target=" + Uri.EscapeDataString(number)));
        Assert.Single(await theirs.Api.AllEntries("target=" + Uri.EscapeDataString(number)));
    }

    [Theory]
    [InlineData("limit=ten", "limit must be a whole number of items per page, at most 200")]
    [InlineData("from=yesterday", "from must be an ISO 8601 date and time, e.g. 2026-11-01T00:00:00Z")]
    [InlineData("to=soon", "to must be an ISO 8601 date and time, e.g. 2026-11-02T00:00:00Z")]
    [InlineData("from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z", "from must be before to")]
    [InlineData("cursor=abc", "cursor is not a cursor this audit log gave out")]
    public async Task A_bad_query_is_a_400_in_words(string query, string detail)
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress);
        (await ws.Api.Get("/api/audit?" + query)).AssertProblem(HttpStatusCode.BadRequest, detail);
    }

    [Fact]
    public async Task A_page_size_out_of_range_is_brought_within_1_to_200_as_in_every_list()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress);
        await ws.CreateAgent("First");
        await ws.CreateAgent("Second");

        var one = await ws.Api.Get("/api/audit?limit=0");
        Assert.Equal(HttpStatusCode.OK, one.Status);
        Assert.Single(one.Body!["items"]!.AsArray());
        var all = await ws.Api.Get("/api/audit?limit=100000");
        Assert.Equal(HttpStatusCode.OK, all.Status);
        Assert.True(all.Body!["items"]!.AsArray().Count >= 3, all.ToString());
    }

    [Fact]
    public async Task The_operator_key_and_no_key_cannot_read_a_workspace_log()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await Operator.Get("/api/audit")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new ApiClient(system.WebAddress, "").Get("/api/audit")).Status);
    }

    private async Task<string> KeyId(Workspace ws) =>
        S((await ws.Api.AllEntries("target=apiKey")).Last(), "targetId");

    private static string S(JsonNode entry, string field) => entry[field]!.GetValue<string>();
}
