using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Convocore.Tests.Infrastructure;

/// <summary>The REST API as a workspace or the operator sees it, over real HTTP.</summary>
public sealed class ApiClient(Uri baseAddress, string bearer)
{
    private static readonly HttpClient Shared = new();

    public const string MergePatch = "application/merge-patch+json";

    /// <param name="body">A string is sent as written; anything else as JSON.</param>
    public Task<ApiResponse> Send(HttpMethod method, string path, object? body = null, string contentType = "application/json") =>
        SendContent(method, path, body switch
        {
            null => null,
            string raw => new StringContent(raw, System.Text.Encoding.UTF8, contentType),
            _ => JsonContent.Create(body, new MediaTypeHeaderValue(contentType)),
        });

    /// <summary>Sends exactly this content (or none), to send what a well-behaved client would not.</summary>
    public async Task<ApiResponse> SendContent(HttpMethod method, string path, HttpContent? content, Action<HttpRequestMessage>? prepare = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(baseAddress, path));
        if (bearer.Length > 0) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        request.Content = content;
        prepare?.Invoke(request);
        using var response = await Shared.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, ParseOrNull(text))
        {
            RetryAfter = response.Headers.RetryAfter?.Delta,
        };
    }

    /// <summary>A body that is not JSON (a bare framework answer) reads as none, for the assertions to report.</summary>
    private static JsonNode? ParseOrNull(string text)
    {
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public Task<ApiResponse> Get(string path) => Send(HttpMethod.Get, path);
    public Task<ApiResponse> Post(string path, object? body = null) => Send(HttpMethod.Post, path, body ?? new { });
    public Task<ApiResponse> Put(string path, object body) => Send(HttpMethod.Put, path, body);
    /// <summary>A JSON Merge Patch (RFC 7396): only the fields named change.</summary>
    public Task<ApiResponse> Patch(string path, object body) => Send(HttpMethod.Patch, path, body, MergePatch);
    public Task<ApiResponse> Delete(string path) => Send(HttpMethod.Delete, path);

    /// <summary>Creates a workspace through the operator API and returns a client holding its API key.</summary>
    public static async Task<Workspace> CreateWorkspace(Uri baseAddress, string plan = "Free", string name = "Test workspace")
    {
        var created = await new ApiClient(baseAddress, ConvocoreSystem.OperatorKey).Post("/api/admin/workspaces", new { name, plan });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var apiKey = created.Body!["apiKey"]!.GetValue<string>();
        return new Workspace(created.Body!["id"]!.GetValue<string>(), apiKey, new ApiClient(baseAddress, apiKey));
    }
}

public sealed record Workspace(string Id, string ApiKey, ApiClient Api)
{
    /// <summary>The same workspace and key, talking to the web app where it runs now (a restart gives it a new port).</summary>
    public Workspace At(Uri webAddress) => this with { Api = new ApiClient(webAddress, ApiKey) };

    public async Task<string> CreateAgent(string title = "Receptionist", bool voiceEnabled = true)
    {
        var response = await Api.Post("/api/agents", new
        {
            title,
            voiceEnabled,
            voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" },
        });
        Assert.Equal(HttpStatusCode.Created, response.Status);
        return response.Body!["id"]!.GetValue<string>();
    }

    public async Task<string> CreateTrunk(string name = "Twilio", string region = "NA")
    {
        var response = await Api.Post("/api/trunks", new { name, region });
        Assert.Equal(HttpStatusCode.Created, response.Status);
        return response.Body!["id"]!.GetValue<string>();
    }

    public Task<ApiResponse> AddNumber(string trunkId, string? phoneNumber, string? agentId, object? additionalParams = null) =>
        Api.Post($"/api/trunks/{trunkId}/numbers", new { phoneNumber, agentId, additionalParams });
}

public sealed record ApiResponse(HttpStatusCode Status, string? ContentType, JsonNode? Body)
{
    /// <summary>The Retry-After header in seconds (delta form), if the answer has one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public string? Detail => Body?["detail"]?.GetValue<string>();

    /// <summary>Asserts an RFC 9457 problem with exactly this status and detail.</summary>
    public void AssertProblem(HttpStatusCode status, string detail)
    {
        Assert.Equal(status, Status);
        Assert.Equal("application/problem+json", ContentType);
        Assert.Equal(detail, Detail);
    }

    public override string ToString() => $"{(int)Status} {Body?.ToJsonString(new JsonSerializerOptions { WriteIndented = false })}";
}
