using System.Net;
using Convocore.Contracts.Webhooks;
using Convocore.Tests.Audit;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.RoutingHook;

/// <summary>
/// PUT/GET/DELETE /api/workspace/routing-hook on a system outside Development (https only, no private targets): the secret
/// shown once, the refusals in the product's words, isolation, the audit entry; routingHook on numbers.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RoutingHookApiTests(ConvocoreSystem system)
{
    private const string Url = "https://hooks.example.com/route";
    private const string Path = "/api/workspace/routing-hook";

    [Fact]
    public async Task A_hook_answers_its_secret_once_keeps_it_on_a_change_and_is_read_and_removed_without_it()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        (await ws.Api.Get(Path)).AssertProblem(HttpStatusCode.NotFound, RoutingHookRules.NotFound);

        var set = await ws.Api.Put(Path, new { url = Url });
        Assert.True(set.Status == HttpStatusCode.OK, set.ToString());
        Assert.Equal(Url, set.Body!["url"]!.GetValue<string>());
        Assert.Equal(1500, set.Body["timeoutMs"]!.GetValue<int>());
        var secret = set.Body["secret"]!.GetValue<string>();
        Assert.Matches("^whsec_[0-9a-f]{64}$", secret);

        var read = await ws.Api.Get(Path);
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal((Url, 1500), (read.Body!["url"]!.GetValue<string>(), read.Body["timeoutMs"]!.GetValue<int>()));
        Assert.Null(read.Body["secret"]);

        // A change of url or timeout keeps the secret, and does not show it again.
        var changed = await ws.Api.Put(Path, new { url = Url + "/v2", timeoutMs = 300 });
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.Null(changed.Body!["secret"]);
        Assert.Equal(300, (await ws.Api.Get(Path)).Body!["timeoutMs"]!.GetValue<int>());

        Assert.Equal(HttpStatusCode.NoContent, (await ws.Api.Delete(Path)).Status);
        (await ws.Api.Delete(Path)).AssertProblem(HttpStatusCode.NotFound, RoutingHookRules.NotFound);
        (await ws.Api.Get(Path)).AssertProblem(HttpStatusCode.NotFound, RoutingHookRules.NotFound);

        // Set again after a delete: a new secret.
        var again = await ws.Api.Put(Path, new { url = Url });
        Assert.NotEqual(secret, again.Body!["secret"]!.GetValue<string>());

        // Audit: each change, with url and timeout, never the secret.
        var entries = await ws.Api.AllEntries();
        var hookEntries = entries.Where(e => e["targetType"]!.GetValue<string>() == "routingHook").ToList();
        Assert.Equal(4, hookEntries.Count);
        Assert.All(hookEntries, e => Assert.Equal(("routingHook.updated", "routing-hook"), (e["action"]!.GetValue<string>(), e["targetId"]!.GetValue<string>())));
        var text = string.Join("\n", entries.Select(e => e.ToJsonString()));
        Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain("whsec_", text);
        Assert.Contains(hookEntries, e => e["after"]?["timeoutMs"]?.GetValue<int>() == 300 && e["before"]?["timeoutMs"]?.GetValue<int>() == 1500);
    }

    [Theory]
    [InlineData("""{}""", RoutingHookRules.UrlRequired)]
    [InlineData("""{"url":""}""", RoutingHookRules.UrlRequired)]
    [InlineData("""{"url":42}""", "url must be a string")]
    [InlineData("""{"url":"http://hooks.example.com/x"}""", WebhookRules.UrlNotHttps)]
    [InlineData("""{"url":"https://user:pw@hooks.example.com/x"}""", WebhookRules.UrlWithCredentials)]
    [InlineData("""{"url":"https://127.0.0.1/x"}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://10.1.2.3/x"}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://169.254.169.254/latest/meta-data"}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://localhost:8443/x"}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://hooks.example.com/x","timeoutMs":99}""", "timeoutMs must be a whole number from 100 to 3000")]
    [InlineData("""{"url":"https://hooks.example.com/x","timeoutMs":3001}""", "timeoutMs must be a whole number from 100 to 3000")]
    [InlineData("""{"url":"https://hooks.example.com/x","timeoutMs":"500"}""", "timeoutMs must be a whole number from 100 to 3000")]
    [InlineData("""{"url":"https://hooks.example.com/x","timeoutMs":150.5}""", "timeoutMs must be a whole number from 100 to 3000")]
    public async Task A_hook_that_cannot_work_is_refused_in_words(string body, string detail)
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        (await ws.Api.Put(Path, body)).AssertProblem(HttpStatusCode.BadRequest, detail);
        (await ws.Api.Get(Path)).AssertProblem(HttpStatusCode.NotFound, RoutingHookRules.NotFound);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(3000)]
    public async Task The_timeout_bounds_are_allowed(int timeoutMs)
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        var set = await ws.Api.Put(Path, new { url = Url, timeoutMs });
        Assert.True(set.Status == HttpStatusCode.OK, set.ToString());
        Assert.Equal(timeoutMs, set.Body!["timeoutMs"]!.GetValue<int>());
    }

    [Fact]
    public async Task Another_workspace_neither_sees_nor_removes_the_hook()
    {
        var owner = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        var other = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        Assert.Equal(HttpStatusCode.OK, (await owner.Api.Put(Path, new { url = Url })).Status);

        (await other.Api.Get(Path)).AssertProblem(HttpStatusCode.NotFound, RoutingHookRules.NotFound);
        (await other.Api.Delete(Path)).AssertProblem(HttpStatusCode.NotFound, RoutingHookRules.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await owner.Api.Get(Path)).Status);
    }

    [Fact]
    public async Task A_number_takes_routingHook_on_add_put_and_patch_shows_it_everywhere_and_logs_it()
    {
        var setup = await NumberSetup.Create(system, "Pro");
        var number = TestNumbers.Next();
        var numberPath = $"/api/trunks/{setup.TrunkId}/numbers/{TestNumbers.Escaped(number)}";
        // Allowed without a hook in the workspace: its calls then go to the agent (the route check says so).
        var added = await setup.Api.Post($"/api/trunks/{setup.TrunkId}/numbers", new { phoneNumber = number, agentId = setup.AgentId, routingHook = true });
        Assert.True(added.Status == HttpStatusCode.Created, added.ToString());
        Assert.True(added.Body!["routingHook"]!.GetValue<bool>());
        Assert.True((await setup.Api.Get(numberPath)).Body!["routingHook"]!.GetValue<bool>());
        var listed = (await setup.Api.Get($"/api/trunks/{setup.TrunkId}/numbers")).Body!["items"]!.AsArray().Single();
        Assert.True(listed!["routingHook"]!.GetValue<bool>());

        var patched = await setup.Api.Patch(numberPath, new { routingHook = false });
        Assert.True(patched.Status == HttpStatusCode.OK, patched.ToString());
        Assert.False(patched.Body!["routingHook"]!.GetValue<bool>());
        var put = await setup.Api.Put(numberPath, new { agentId = setup.AgentId, additionalParams = (object?)null, routingHook = true });
        Assert.True(put.Body!["routingHook"]!.GetValue<bool>());
        // PUT without it: off, as a left-out fallback is none.
        var putWithout = await setup.Api.Put(numberPath, new { agentId = setup.AgentId, additionalParams = (object?)null });
        Assert.False(putWithout.Body!["routingHook"]!.GetValue<bool>());
        (await setup.Api.Patch(numberPath, new { routingHook = "yes" })).AssertProblem(HttpStatusCode.BadRequest, "routingHook must be true or false");
        (await setup.AddWithRawField("routingHook", "1")).AssertProblem(HttpStatusCode.BadRequest, "routingHook must be true or false");

        var entries = await setup.Api.AllEntries();
        var update = entries.First(e => e["action"]!.GetValue<string>() == "number.updated" && e["targetId"]!.GetValue<string>() == number
                                        && e["after"]!["routingHook"]!.GetValue<bool>() == false && e["before"]!["routingHook"]!.GetValue<bool>());
        Assert.NotNull(update);
        Assert.True(entries.Single("number.added", number)["after"]!["routingHook"]!.GetValue<bool>());

        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Patch(numberPath, new { routingHook = true })).Status);
        var check = await setup.Api.Get("/api/route-check?number=" + TestNumbers.Escaped(number));
        Assert.Equal(HttpStatusCode.OK, check.Status);
        Assert.NotNull(check.Body!["routingHook"]);
        Assert.Null(check.Body["routingHook"]!["url"]);
        Assert.Contains(check.Body["problems"]!.AsArray(), p => p!["code"]!.GetValue<string>() == "routing_hook_missing");
        Assert.Equal(HttpStatusCode.OK, (await setup.Api.Put(Path, new { url = Url })).Status);
        var withHook = (await setup.Api.Get("/api/route-check?number=" + TestNumbers.Escaped(number))).Body!;
        Assert.Equal(Url, withHook["routingHook"]!["url"]!.GetValue<string>());
        Assert.DoesNotContain(withHook["problems"]!.AsArray(), p => p!["code"]!.GetValue<string>() == "routing_hook_missing");
    }
}
