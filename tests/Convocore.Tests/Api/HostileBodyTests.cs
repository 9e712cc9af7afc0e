using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;

namespace Convocore.Tests.Api;

/// <summary>
/// Every write endpoint of the API, sent each kind of bad body over real HTTP: each answers a problem with product
/// text, never a bare framework answer or a 5xx, and stores nothing.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class HostileBodyTests(ConvocoreSystem system)
{
    private const int MaxBytes = 64 * 1024;
    private const int MaxDepth = 32;

    /// <summary>What a case needs: a workspace with an agent, a trunk and a number, and who may call what.</summary>
    private sealed record Target(NumberSetup Setup, string Number, ApiClient Operator, ApiClient Anonymous)
    {
        public string NumberPath => $"/api/trunks/{Setup.TrunkId}/numbers/{TestNumbers.Escaped(Number)}";
    }

    private sealed record WriteEndpoint(HttpMethod Method, Func<Target, string> Path, Func<Target, ApiClient> Caller,
        string? WrongType = null, string? WrongTypeDetail = null)
    {
        public string MediaType => Method == HttpMethod.Patch ? "application/merge-patch+json" : "application/json";
    }

    private static readonly Dictionary<string, WriteEndpoint> Endpoints = new()
    {
        ["POST /api/admin/workspaces"] = new(HttpMethod.Post, _ => "/api/admin/workspaces", t => t.Operator,
            """{"name":5,"plan":"Free"}""", "name must be a string"),
        ["PUT /api/admin/workspaces/{id}/plan"] = new(HttpMethod.Put, t => $"/api/admin/workspaces/{t.Setup.Workspace.Id}/plan", t => t.Operator,
            """{"plan":1}""", "Plan must be Free, Pro or Enterprise"),
        ["POST /api/admin/workspaces/{id}/api-keys"] = new(HttpMethod.Post, t => $"/api/admin/workspaces/{t.Setup.Workspace.Id}/api-keys", t => t.Operator),
        ["POST /api/session"] = new(HttpMethod.Post, _ => "/api/session", t => t.Anonymous,
            """{"apiKey":12345}""", "apiKey must be a string"),
        ["POST /api/agents"] = new(HttpMethod.Post, _ => "/api/agents", t => t.Setup.Api,
            """{"title":"Sales","voiceEnabled":"yes"}""", "voiceEnabled must be true or false"),
        ["PUT /api/agents/{id}"] = new(HttpMethod.Put, t => $"/api/agents/{t.Setup.AgentId}", t => t.Setup.Api,
            """{"title":5,"voiceEnabled":true,"voice":null}""", "title must be a string"),
        ["PATCH /api/agents/{id}"] = new(HttpMethod.Patch, t => $"/api/agents/{t.Setup.AgentId}", t => t.Setup.Api,
            """{"voiceEnabled":"yes"}""", "voiceEnabled must be true or false"),
        ["POST /api/trunks"] = new(HttpMethod.Post, _ => "/api/trunks", t => t.Setup.Api,
            """{"name":"Vonage","region":"EU","active":"yes"}""", "active must be true or false"),
        ["PUT /api/trunks/{id}"] = new(HttpMethod.Put, t => $"/api/trunks/{t.Setup.TrunkId}", t => t.Setup.Api,
            """{"name":5,"region":"NA","active":true,"defaultCountry":null}""", "name must be a string"),
        ["PATCH /api/trunks/{id}"] = new(HttpMethod.Patch, t => $"/api/trunks/{t.Setup.TrunkId}", t => t.Setup.Api,
            """{"defaultCountry":44}""", "Default country must be a two-letter country code such as US or GB"),
        ["POST /api/trunks/{id}/numbers"] = new(HttpMethod.Post, t => $"/api/trunks/{t.Setup.TrunkId}/numbers", t => t.Setup.Api,
            """{"phoneNumber":15551234567,"agentId":"x"}""", "phoneNumber must be a string in E.164, such as +15551234567"),
        ["PUT /api/trunks/{id}/numbers/{number}"] = new(HttpMethod.Put, t => t.NumberPath, t => t.Setup.Api,
            """{"agentId":5,"additionalParams":null}""", "agentId must be a string"),
        ["PATCH /api/trunks/{id}/numbers/{number}"] = new(HttpMethod.Patch, t => t.NumberPath, t => t.Setup.Api,
            """{"agentId":["x"]}""", "agentId must be a string"),
    };

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, endpoint) in Endpoints)
        {
            foreach (var kind in new[] { "malformed", "truncated", "invalid UTF-8", "not an object", "duplicate field", "wrong content type",
                         "no content type", "too large", "too large, chunked", "too deep" })
                data.Add(name, kind);
            if (endpoint.WrongType is not null) data.Add(name, "wrong type");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_body_is_refused_with_a_problem_in_product_words_and_nothing_is_stored(string endpointName, string kind)
    {
        var endpoint = Endpoints[endpointName];
        var target = await CreateTarget();
        var (content, status, detail) = Bad(kind, endpoint);
        var before = await Snapshot(target);

        var response = await endpoint.Caller(target).SendContent(endpoint.Method, endpoint.Path(target), content, AsDashboard);

        Assert.True(response.Status == status && response.ContentType == "application/problem+json" && response.Detail == detail,
            $"{endpointName}, {kind}: expected {(int)status} application/problem+json \"{detail}\", got {response.ContentType} {response}");
        Assert.Equal(before, await Snapshot(target));
    }

    [Fact]
    public async Task A_body_of_exactly_64_KiB_nested_32_levels_deep_is_accepted()
    {
        var target = await CreateTarget();
        var nested = new string('[', MaxDepth - 1) + new string(']', MaxDepth - 1);
        var start = "{\"title\":\"Big\",\"voiceEnabled\":false,\"nested\":" + nested + ",\"pad\":\"";
        var body = start + new string('x', MaxBytes - start.Length - 2) + "\"}";
        Assert.Equal(MaxBytes, Encoding.UTF8.GetByteCount(body));

        var response = await target.Setup.Api.Send(HttpMethod.Post, "/api/agents", body);

        Assert.True(response.Status == HttpStatusCode.Created, response.ToString());
        Assert.Equal("Big", response.Body!["title"]!.GetValue<string>());
    }

    private (HttpContent? Content, HttpStatusCode Status, string Detail) Bad(string kind, WriteEndpoint endpoint) => kind switch
    {
        "malformed" => (Body("{\"title\": 'single quotes' }", endpoint.MediaType), HttpStatusCode.BadRequest, "The request body is not valid JSON"),
        "truncated" => (Body("{\"title\":\"Sales\",", endpoint.MediaType), HttpStatusCode.BadRequest, "The request body is not valid JSON"),
        "invalid UTF-8" => (Bytes([.. "{\"name\":\""u8, 0xC3, 0x28, .. "\"}"u8], endpoint.MediaType), HttpStatusCode.BadRequest, "The request body is not valid JSON"),
        "not an object" => (Body("[1,2,3]", endpoint.MediaType), HttpStatusCode.BadRequest, "The request body must be a JSON object"),
        "duplicate field" => (Body("""{"title":"A","title":"B","name":"A","name":"B"}""", endpoint.MediaType), HttpStatusCode.BadRequest,
            "The request body gives a field more than once"),
        "wrong content type" => (Body("{}", "text/plain"), HttpStatusCode.UnsupportedMediaType, UnsupportedDetail(endpoint)),
        "no content type" => (Bytes("{}"u8.ToArray(), null), HttpStatusCode.UnsupportedMediaType, UnsupportedDetail(endpoint)),
        "too large" => (Body(Padded(MaxBytes + 1), endpoint.MediaType), HttpStatusCode.RequestEntityTooLarge, "The request body must be at most 64 KiB"),
        "too large, chunked" => (Chunked(Padded(4 * MaxBytes), endpoint.MediaType), HttpStatusCode.RequestEntityTooLarge, "The request body must be at most 64 KiB"),
        "too deep" => (Body("{\"nested\":" + new string('[', MaxDepth) + new string(']', MaxDepth) + "}", endpoint.MediaType), HttpStatusCode.BadRequest,
            "The request body must not nest objects and arrays more than 32 levels deep"),
        "wrong type" => (Body(endpoint.WrongType!, endpoint.MediaType), HttpStatusCode.BadRequest, endpoint.WrongTypeDetail!),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static string UnsupportedDetail(WriteEndpoint endpoint) => endpoint.Method == HttpMethod.Patch
        ? "A PATCH body must be a JSON merge patch, sent with Content-Type: application/merge-patch+json"
        : "The request body must be JSON, sent with Content-Type: application/json";

    /// <summary>A JSON object of exactly <paramref name="bytes"/> bytes.</summary>
    private static string Padded(int bytes)
    {
        const string start = "{\"pad\":\"", end = "\"}";
        return start + new string('x', bytes - start.Length - end.Length) + end;
    }

    private static HttpContent Body(string text, string mediaType) => Bytes(Encoding.UTF8.GetBytes(text), mediaType);

    private static HttpContent Bytes(byte[] bytes, string? mediaType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = mediaType is null ? null : MediaTypeHeaderValue.Parse(mediaType);
        return content;
    }

    /// <summary>No Content-Length: the server learns the size only by reading.</summary>
    private static HttpContent Chunked(string text, string mediaType)
    {
        var content = new StreamContent(new UnknownLengthStream(Encoding.UTF8.GetBytes(text)));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(mediaType);
        return content;
    }

    /// <summary>Sign-in and cookie writes need the dashboard's header; API-key requests ignore it.</summary>
    private static void AsDashboard(HttpRequestMessage request) => request.Headers.Add("X-Convocore-Request", "1");

    private async Task<Target> CreateTarget()
    {
        var setup = await NumberSetup.Create(system);
        var number = TestNumbers.Next();
        Assert.Equal(HttpStatusCode.Created, (await setup.Add(number, additionalParams: new { greeting = "hello" })).Status);
        return new Target(setup, number, new ApiClient(system.WebAddress, ConvocoreSystem.OperatorKey), new ApiClient(system.WebAddress, ""));
    }

    /// <summary>Everything a write to this workspace could have changed.</summary>
    private static async Task<string> Snapshot(Target target)
    {
        var api = target.Setup.Api;
        var reads = await Task.WhenAll(
            target.Operator.Get($"/api/admin/workspaces/{target.Setup.Workspace.Id}"),
            api.Get("/api/agents"),
            api.Get("/api/trunks"),
            api.Get(target.NumberPath),
            api.Get($"/api/trunks/{target.Setup.TrunkId}/numbers"));
        Assert.All(reads, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        return string.Join("\n", reads.Select(r => r.ToString()));
    }

    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
