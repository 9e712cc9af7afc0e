using System.Net;
using System.Net.Http.Json;
using Convocore.Tests.Infrastructure;

namespace Convocore.Tests.Api;

/// <summary>The web app with small limits, so that each can be reached in a test; the defaults are in the README.</summary>
public sealed class RateLimitedSystem : ConvocoreSystem
{
    protected override short InitialSilos => 1;

    protected override IEnumerable<KeyValuePair<string, string?>> WebSettings => new Dictionary<string, string?>
    {
        ["Convocore:RateLimits:PerKeyPerSecond"] = "1",
        ["Convocore:RateLimits:PerKeyBurst"] = "5",
        ["Convocore:RateLimits:FailedAuthenticationsPerMinute"] = "3",
        ["Convocore:RateLimits:SignInsPerMinute"] = "4",
    };
}

public sealed class RateLimitTests(RateLimitedSystem system) : IClassFixture<RateLimitedSystem>
{
    [Fact]
    public async Task A_key_past_its_burst_gets_429_with_Retry_After_and_a_problem_and_other_keys_are_not_held_back()
    {
        var busy = await ApiClient.CreateWorkspace(system.WebAddress);
        var calm = await ApiClient.CreateWorkspace(system.WebAddress);

        // At once, so that the bucket (one token a second) cannot refill in between on a slow machine.
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Send(HttpMethod.Post, "/api/agents", busy.ApiKey, new { title = $"Agent {i}", voiceEnabled = false })));

        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.Created));
        Assert.Equal(3, answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests));
        foreach (var refused in answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests)) await AssertTooMany(refused);
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/api/agents", calm.ApiKey)).StatusCode);

        // What a refused request asked for was not done: 5 agents, not 8.
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        var listed = await Send(HttpMethod.Get, "/api/agents", busy.ApiKey);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        var agents = System.Text.Json.Nodes.JsonNode.Parse(await listed.Content.ReadAsStringAsync())!;
        Assert.Equal(5, agents is System.Text.Json.Nodes.JsonArray array ? array.Count : agents["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Dashboard_sign_ins_from_one_address_are_limited_per_minute()
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++) statuses.Add((await SignIn("cvk_not-a-key")).StatusCode);
        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, statuses);

        await AssertTooMany(await SignIn("cvk_not-a-key"));
    }

    internal static async Task AssertTooMany(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta is { } delta && delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.StartsWith("Too many requests: try again in", problem["detail"]!.GetValue<string>());
    }

    private Task<HttpResponseMessage> SignIn(string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/session") { Content = JsonContent.Create(new { apiKey = key }) };
        request.Headers.Add("X-Convocore-Request", "1");
        return system.Http.SendAsync(request);
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string key, object? body = null) =>
        Send(system, method, path, key, body);

    internal static Task<HttpResponseMessage> Send(ConvocoreSystem system, HttpMethod method, string path, string key, object? body = null)
    {
        var request = new HttpRequestMessage(method, path) { Headers = { { "Authorization", "Bearer " + key } } };
        if (body is not null) request.Content = JsonContent.Create(body);
        return system.Http.SendAsync(request);
    }
}

/// <summary>A system of its own: once an address has used up its failed authentications, even a right key waits.</summary>
public sealed class KeyGuessingTests(RateLimitedSystem system) : IClassFixture<RateLimitedSystem>
{
    [Fact]
    public async Task Guessing_keys_from_one_address_is_refused_with_429_once_the_failures_pass_the_limit_before_any_key_is_checked()
    {
        var workspace = await ApiClient.CreateWorkspace(system.WebAddress);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) statuses.Add((await RateLimitTests.Send(system, HttpMethod.Get, "/api/agents", $"cvk_guess{i}")).StatusCode);
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], statuses);

        await RateLimitTests.AssertTooMany(await RateLimitTests.Send(system, HttpMethod.Get, "/api/agents", "cvk_guess-again"));
        // Refused before the key is looked at: the right key from that address waits out the window too.
        await RateLimitTests.AssertTooMany(await RateLimitTests.Send(system, HttpMethod.Get, "/api/agents", workspace.ApiKey));
    }
}
