using System.Net;
using System.Net.Sockets;
using Convocore.Contracts.Webhooks;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Webhooks;

/// <summary>
/// The webhooks API on a system outside Development (https only, no private targets): the secret shown once, the
/// refusals in the product's words, the limit, isolation between workspaces, and a saved host refused when connected to.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class WebhookApiTests(ConvocoreSystem system)
{
    private const string Url = "https://hooks.example.com/convocore";

    [Fact]
    public async Task A_webhook_answers_its_secret_once_and_is_listed_and_removed_without_it()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");

        var created = await ws.Api.Post("/api/webhooks", new { url = Url, events = new[] { "call.ended", "call.started", "call.started" } });

        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Body!["id"]!.GetValue<string>();
        Assert.Matches("^whsec_[0-9a-f]{64}$", created.Body["secret"]!.GetValue<string>());
        Assert.Equal(["call.started", "call.ended"], created.Body["events"]!.AsArray().Select(e => e!.GetValue<string>()));
        var listed = await ws.Api.Get("/api/webhooks");
        var only = Assert.Single(listed.Body!.AsArray())!;
        Assert.Equal((id, Url), (only["id"]!.GetValue<string>(), only["url"]!.GetValue<string>()));
        Assert.Null(only["secret"]);
        Assert.DoesNotContain("whsec_", listed.Body.ToJsonString());
        Assert.Empty((await ws.Api.Get($"/api/webhooks/{id}/deliveries")).Body!.AsArray());
        Assert.Equal(HttpStatusCode.NoContent, (await ws.Api.Delete($"/api/webhooks/{id}")).Status);
        (await ws.Api.Delete($"/api/webhooks/{id}")).AssertProblem(HttpStatusCode.NotFound, WebhookRules.NotFound);
        Assert.Empty((await ws.Api.Get("/api/webhooks")).Body!.AsArray());
    }

    [Theory]
    [InlineData("""{"events":["call.ended"]}""", WebhookRules.UrlRequired)]
    [InlineData("""{"url":"","events":["call.ended"]}""", WebhookRules.UrlRequired)]
    [InlineData("""{"url":42,"events":["call.ended"]}""", "url must be a string")]
    [InlineData("""{"url":"hooks.example.com/x","events":["call.ended"]}""", WebhookRules.UrlNotHttps)]
    [InlineData("""{"url":"http://hooks.example.com/x","events":["call.ended"]}""", WebhookRules.UrlNotHttps)]
    [InlineData("""{"url":"ftp://hooks.example.com/x","events":["call.ended"]}""", WebhookRules.UrlNotHttps)]
    [InlineData("""{"url":"https://user:pw@hooks.example.com/x","events":["call.ended"]}""", WebhookRules.UrlWithCredentials)]
    [InlineData("""{"url":"https://127.0.0.1/x","events":["call.ended"]}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://localhost:8443/x","events":["call.ended"]}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://10.1.2.3/x","events":["call.ended"]}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://169.254.169.254/latest/meta-data","events":["call.ended"]}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://[::1]/x","events":["call.ended"]}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://[::ffff:192.168.1.1]/x","events":["call.ended"]}""", WebhookRules.UrlPrivate)]
    [InlineData("""{"url":"https://hooks.example.com/x"}""", null)]
    [InlineData("""{"url":"https://hooks.example.com/x","events":[]}""", null)]
    [InlineData("""{"url":"https://hooks.example.com/x","events":"call.ended"}""", "events must be a list of event types, e.g. [\"call.ended\"]")]
    [InlineData("""{"url":"https://hooks.example.com/x","events":["call.ended",3]}""", "events must be a list of event types, e.g. [\"call.ended\"]")]
    [InlineData("""{"url":"https://hooks.example.com/x","events":["call.answered"]}""", "Unknown event type call.answered: use call.started, call.routed, call.failed, call.ended, number.created, number.updated, number.deleted")]
    public async Task A_webhook_that_cannot_work_is_refused_in_words(string body, string? detail)
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");

        var refused = await ws.Api.Post("/api/webhooks", body);

        refused.AssertProblem(HttpStatusCode.BadRequest, detail ?? WebhookRules.EventsRequired);
        Assert.Empty((await ws.Api.Get("/api/webhooks")).Body!.AsArray());
    }

    [Fact]
    public async Task A_workspace_has_at_most_ten_webhooks()
    {
        var ws = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        for (var i = 0; i < WebhookRules.MaxPerWorkspace; i++)
            Assert.Equal(HttpStatusCode.Created, (await ws.Api.Post("/api/webhooks", new { url = $"{Url}/{i}", events = new[] { "call.ended" } })).Status);

        (await ws.Api.Post("/api/webhooks", new { url = Url, events = new[] { "call.ended" } }))
            .AssertProblem(HttpStatusCode.Forbidden, "Webhook limit reached: a workspace may have at most 10 webhooks");
        Assert.Equal(WebhookRules.MaxPerWorkspace, (await ws.Api.Get("/api/webhooks")).Body!.AsArray().Count);
    }

    [Fact]
    public async Task Another_workspaces_webhook_reads_as_missing()
    {
        var owner = await NumberSetup.Create(system, "Pro");
        var stranger = await ApiClient.CreateWorkspace(system.WebAddress, "Pro");
        var (id, _) = await WebhookApi.Create(owner.Api, Url, ["number.created"]);
        await owner.AddOk(TestNumbers.Next());
        await Eventually.True(async () => (await WebhookApi.Deliveries(owner.Api, id)).Count == 1, "the owner's delivery in its log");
        var eventId = (await WebhookApi.Deliveries(owner.Api, id))[0]["eventId"]!.GetValue<string>();

        (await stranger.Api.Get($"/api/webhooks/{id}/deliveries")).AssertProblem(HttpStatusCode.NotFound, WebhookRules.NotFound);
        (await stranger.Api.Post($"/api/webhooks/{id}/deliveries/{eventId}/redeliver")).AssertProblem(HttpStatusCode.NotFound, WebhookRules.NotFound);
        (await stranger.Api.Delete($"/api/webhooks/{id}")).AssertProblem(HttpStatusCode.NotFound, WebhookRules.NotFound);
        Assert.Empty((await stranger.Api.Get("/api/webhooks")).Body!.AsArray());
        Assert.Single((await owner.Api.Get("/api/webhooks")).Body!.AsArray());
    }

    [Fact]
    public async Task A_saved_host_name_that_resolves_to_this_machine_is_refused_when_connected_to()
    {
        // The machine's own name is no address literal and not "localhost", so it passes when saved; it resolves to loopback.
        var host = Dns.GetHostName();
        Assert.All(await Dns.GetHostAddressesAsync(host), a => Assert.True(IPAddress.IsLoopback(a) || a.IsIPv6LinkLocal || IsPrivate(a), $"{host} resolves to {a}"));
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = listener.AcceptTcpClientAsync();
        var owner = await NumberSetup.Create(system, "Pro");
        var (id, _) = await WebhookApi.Create(owner.Api, $"https://{host}:{port}/hooks", ["number.created"]);

        await owner.AddOk(TestNumbers.Next());

        await Eventually.True(async () => (await WebhookApi.Deliveries(owner.Api, id)).SingleOrDefault() is { } d && d["attempts"]!.GetValue<int>() >= 1,
            "an attempt made");
        var delivery = (await WebhookApi.Deliveries(owner.Api, id)).Single();
        Assert.Equal("pending", delivery["state"]!.GetValue<string>());
        Assert.Null(delivery["lastStatus"]);
        Assert.StartsWith("refused", delivery["lastError"]!.GetValue<string>());
        Assert.False(accepted.IsCompleted, "the listener was connected to");
    }

    private static bool IsPrivate(IPAddress address) => Convocore.Silo.Outbound.OutboundAddresses.IsForbidden(address);
}
