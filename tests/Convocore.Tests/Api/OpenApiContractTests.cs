using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Convocore.Contracts.Routing;
using Convocore.Silo.Routing;
using Convocore.Tests.Infrastructure;
using Convocore.Tests.Numbers;
using Json.Schema;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Convocore.Tests.Api;

/// <summary>
/// /openapi/v1.json is what clients are generated from: every operation documents its success body, its problem
/// details and the credentials it takes, and every answer of the live system is one its operation documents, with a
/// body that validates against the documented schema.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class OpenApiContractTests(ConvocoreSystem system)
{
    private const string ProblemDetailsRef = "#/components/schemas/ProblemDetails";
    private const string CsrfHeader = "X-Convocore-Request";

    /// <summary>Operations no request can make fail (/health answers whatever the caller sends).</summary>
    private static readonly HashSet<string> CannotFail = ["GET /health"];

    /// <summary>
    /// Operations that succeed only with an Asterisk to talk to, which this system has not: a test call is placed on the
    /// ARI simulator in DashboardTestCallTests (its 202 body checked there) and on the real Asterisk in RealAsteriskTestCallTests.
    /// </summary>
    private static readonly HashSet<string> SucceedOnlyWithAsterisk = ["POST /api/numbers/{phoneNumber}/test-call"];

    [Fact]
    public async Task Every_operation_documents_its_success_body_its_problems_and_its_credentials()
    {
        var document = await Document();
        var schemes = document["components"]?["securitySchemes"]?.AsObject();
        Assert.NotNull(schemes);
        Assert.Equal(("http", "bearer"), (Text(schemes["workspaceKey"]?["type"]), Text(schemes["workspaceKey"]?["scheme"])));
        Assert.Equal(("http", "bearer"), (Text(schemes["operatorKey"]?["type"]), Text(schemes["operatorKey"]?["scheme"])));
        Assert.Equal(("apiKey", "cookie", "convocore_session"),
            (Text(schemes["dashboardSession"]?["type"]), Text(schemes["dashboardSession"]?["in"]), Text(schemes["dashboardSession"]?["name"])));

        var errors = Operations(document).SelectMany(o => Shortcomings(o, schemes).Select(e => $"{o.Name}: {e}")).ToList();

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Every_operation_answers_as_documented_when_it_succeeds_and_when_it_fails()
    {
        var document = await Document();
        var operations = Operations(document).ToList();
        var client = new RecordingClient(system.WebAddress);

        await Exercise(client);

        var errors = new List<string>();
        foreach (var exchange in client.Exchanges)
        {
            var operation = operations.FirstOrDefault(o => o.Matches(exchange));
            if (operation is null) errors.Add($"{exchange}: no operation of the document");
            else errors.AddRange(Deviations(document, operation, exchange).Select(e => $"{exchange}: {e}"));
        }
        foreach (var operation in operations)
        {
            var answers = client.Exchanges.Where(operation.Matches).Select(e => e.Status).ToList();
            if (!answers.Any(s => s is >= 200 and < 300) && !SucceedOnlyWithAsterisk.Contains(operation.Name)) errors.Add($"{operation.Name}: no request succeeded");
            if (!answers.Any(s => s is >= 400 and < 500) && !CannotFail.Contains(operation.Name)) errors.Add($"{operation.Name}: no request failed");
        }

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public async Task Every_API_endpoint_of_the_app_is_in_the_document()
    {
        var documented = Operations(await Document()).Select(o => o.Name).ToHashSet();

        var endpoints = system.WebServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                .Select(m => $"{m} {e.RoutePattern.RawText!.Replace("//", "/").TrimEnd('/')}"))
            .ToList();

        Assert.NotEmpty(endpoints);
        Assert.Empty(endpoints.Except(documented));
    }

    /// <summary>What a client generator would miss in one operation.</summary>
    private static IEnumerable<string> Shortcomings(Operation operation, JsonObject schemes)
    {
        if (operation.Node["responses"] is not JsonObject responses)
        {
            yield return "no responses";
            yield break;
        }
        var statuses = responses.Select(r => r.Key).ToList();
        if (!statuses.Any(s => s.StartsWith('2'))) yield return "no success response";
        foreach (var (status, response) in responses)
        {
            var content = response?["content"]?.AsObject();
            if (status == "204")
            {
                if (content is not null) yield return "204 documents a body";
            }
            else if (status.StartsWith('2'))
            {
                if (content?["application/json"]?["schema"] is not JsonObject { Count: > 0 }) yield return $"{status} has no application/json schema";
            }
            else if (status.StartsWith('4') && Text(content?["application/problem+json"]?["schema"]?["$ref"]) != ProblemDetailsRef)
            {
                yield return $"{status} is not documented as application/problem+json with the ProblemDetails schema";
            }
        }
        if (!statuses.Any(s => s.StartsWith('4'))) yield return "no problem responses";
        foreach (var status in new[] { "429", "503" }.Except(statuses)) yield return $"{status} is not documented";
        if (operation.Node["parameters"]?.AsArray().Any(p => Text(p?["in"]) == "path") == true && !statuses.Contains("400"))
            yield return "takes a route value but documents no 400 for a malformed one";

        if (operation.Node["security"] is not JsonArray security)
        {
            yield return "states no security requirement (anonymous operations state an empty one)";
            yield break;
        }
        var requirements = security.Select(r => r!.AsObject().Select(s => s.Key).Order().ToArray()).ToList();
        foreach (var scheme in requirements.SelectMany(r => r).Where(s => !schemes.ContainsKey(s))) yield return $"names the unknown scheme {scheme}";
        var anonymousAllowed = requirements.Count == 0 || requirements.Any(r => r.Length == 0);
        if (!anonymousAllowed)
        {
            foreach (var status in new[] { "401", "403" }.Except(statuses)) yield return $"takes credentials but documents no {status}";
        }

        string[][] expected = operation.Path switch
        {
            "/api/session" => [],
            "/health" => [[], ["operatorKey"]],
            _ when operation.Path.StartsWith("/api/admin/", StringComparison.Ordinal) || operation.Path.StartsWith("/api/operator/", StringComparison.Ordinal) => [["operatorKey"]],
            _ => [["workspaceKey"], ["dashboardSession"]],
        };
        static string Describe(IEnumerable<string[]> alternatives) =>
            string.Join(" or ", alternatives.Select(r => "{" + string.Join(",", r) + "}")) is { Length: > 0 } text ? text : "no credentials";
        if (Describe(requirements) != Describe(expected)) yield return $"takes {Describe(requirements)} where {Describe(expected)} is expected";
    }

    /// <summary>How one real answer departs from what its operation documents.</summary>
    private static IEnumerable<string> Deviations(JsonNode document, Operation operation, Exchange exchange)
    {
        var status = exchange.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Node["responses"]?[status] is not { } response)
        {
            yield return $"{status} is not documented for {operation.Name}";
            yield break;
        }
        if (response["content"] is not JsonObject content)
        {
            if (exchange.Body.Length > 0) yield return "has a body, the document none";
            yield break;
        }
        if (exchange.ContentType is null || content[exchange.ContentType]?["schema"] is not { } schema)
        {
            yield return $"answered {exchange.ContentType ?? "no content type"}, the document {string.Join(", ", content.Select(c => c.Key))}";
            yield break;
        }
        // A CSV answer (the export) is checked for its media type; its rows are the import tests' business.
        if (exchange.ContentType == "text/csv") yield break;
        foreach (var error in Validate(document, schema, exchange.Body)) yield return error;
        // A refusal says what is wrong, in the product's words; only the authentication pipeline's 401 and 403 say no more than their title.
        if (exchange.ContentType == "application/problem+json" && exchange.Status is not (401 or 403)
            && string.IsNullOrWhiteSpace(Text(JsonNode.Parse(exchange.Body)?["detail"])))
            yield return "a problem without a detail";
    }

    /// <summary>Validates a body against a schema of the document, its $refs resolved in the document's components.</summary>
    private static IEnumerable<string> Validate(JsonNode document, JsonNode schema, string body)
    {
        JsonDocument instance;
        try
        {
            instance = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return ["the body is not JSON"];
        }
        var root = schema.DeepClone().AsObject();
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        root["$defs"] = document["components"]!["schemas"]!.DeepClone();
        var text = root.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        var compiled = JsonSchema.FromText(text, new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri($"https://convocore.test/{Guid.NewGuid():N}"));
        using (instance)
        {
            var results = compiled.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
            if (results.IsValid) return [];
            return (results.Details ?? [results]).Where(d => d.Errors is { Count: > 0 })
                .Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Values)}").DefaultIfEmpty("does not validate: " + JsonSerializer.Serialize(results)).ToList();
        }
    }

    /// <summary>At least one request that succeeds and one that fails for every operation, with every kind of credential.</summary>
    private async Task Exercise(RecordingClient c)
    {
        const string op = ConvocoreSystem.OperatorKey;

        // Operator: workspaces and their keys.
        var created = await c.Send("POST", "/api/admin/workspaces", op, new { name = "Contract", plan = "Pro" });
        var workspaceId = Text(created.Json["id"])!;
        var key = Text(created.Json["apiKey"])!;
        await c.Send("POST", "/api/admin/workspaces", op, new { name = "Contract", plan = "Gold" });
        await c.Send("POST", "/api/admin/workspaces", key, new { name = "Contract", plan = "Pro" });
        await c.Send("POST", "/api/admin/workspaces", null, new { name = "Contract", plan = "Pro" });
        await c.Send("GET", $"/api/admin/workspaces/{workspaceId}", op);
        await c.Send("GET", "/api/admin/workspaces/nosuchworkspace0", op);
        await c.Send("GET", "/api/admin/workspaces/Not-An-Id", op);
        await c.Send("PUT", $"/api/admin/workspaces/{workspaceId}/plan", op, new { plan = "Enterprise" });
        await c.Send("PUT", $"/api/admin/workspaces/{workspaceId}/plan", op, new { plan = "Gold" });
        var issued = await c.Send("POST", $"/api/admin/workspaces/{workspaceId}/api-keys", op);
        await c.Send("POST", "/api/admin/workspaces/nosuchworkspace0/api-keys", op);
        var keyId = Text(issued.Json["keyId"])!;
        await c.Send("DELETE", $"/api/admin/workspaces/{workspaceId}/api-keys/{keyId}", op);
        await c.Send("DELETE", $"/api/admin/workspaces/{workspaceId}/api-keys/{keyId}", op);
        await c.Send("DELETE", $"/api/admin/workspaces/{workspaceId}/api-keys/Not-An-Id", op);

        // The workspace, by API key.
        await c.Send("GET", "/api/workspace", key);
        await c.Send("GET", "/api/workspace", op);
        await c.Send("GET", "/api/workspace", "cck_nosuchworkspace0_0000");

        // A webhook before the numbers below, so that their changes give it deliveries (to a host that does not resolve).
        var webhook = Text((await c.Send("POST", "/api/webhooks", key, new { url = "https://hooks.convocore.invalid/events", events = new[] { "number.created" } })).Json["id"])!;
        await c.Send("POST", "/api/webhooks", key, new { url = "http://hooks.convocore.invalid/events", events = new[] { "number.created" } });

        var voice = new { provider = "elevenlabs", voiceId = "rachel", language = "en-US" };
        var agent = Text((await c.Send("POST", "/api/agents", key, new { title = "Receptionist", voiceEnabled = true, voice })).Json["id"])!;
        await c.Send("POST", "/api/agents", key, "[]");
        await c.Send("GET", "/api/agents", key);
        await c.Send("GET", "/api/agents");
        await c.Send("GET", $"/api/agents/{agent}", key);
        await c.Send("GET", "/api/agents/nosuchagent0", key);
        await c.Send("GET", "/api/agents/Not-An-Id", key);
        await c.Send("PUT", $"/api/agents/{agent}", key, new { title = "Front desk", voiceEnabled = true, voice });
        await c.Send("PUT", "/api/agents/nosuchagent0", key, new { title = "Front desk", voiceEnabled = true, voice });
        await c.Send("PATCH", $"/api/agents/{agent}", key, new { title = "Reception" }, "application/merge-patch+json");
        await c.Send("PATCH", $"/api/agents/{agent}", key, new { title = "Reception" });
        var spareAgent = Text((await c.Send("POST", "/api/agents", key, new { title = "Spare" })).Json["id"])!;
        await c.Send("DELETE", $"/api/agents/{spareAgent}", key);
        await c.Send("DELETE", $"/api/agents/{spareAgent}", key);

        var trunk = Text((await c.Send("POST", "/api/trunks", key, new { name = "Twilio", region = "NA" })).Json["id"])!;
        await c.Send("POST", "/api/trunks", key, new { name = "Twilio", region = "Mars" });
        await c.Send("GET", "/api/trunks", key);
        await c.Send("GET", "/api/trunks", op);
        await c.Send("GET", $"/api/trunks/{trunk}", key);
        await c.Send("GET", "/api/trunks/nosuchtrunk0", key);
        await c.Send("PUT", $"/api/trunks/{trunk}", key, new { name = "Twilio US", region = "NA", active = true, defaultCountry = "US" });
        await c.Send("PUT", $"/api/trunks/{trunk}", key, new { name = "Twilio US" });
        await c.Send("PATCH", $"/api/trunks/{trunk}", key, new { defaultCountry = (string?)null }, "application/merge-patch+json");
        await c.Send("PATCH", "/api/trunks/nosuchtrunk0", key, new { name = "Gone" }, "application/merge-patch+json");
        var spareTrunk = Text((await c.Send("POST", "/api/trunks", key, new { name = "Spare", region = "EU" })).Json["id"])!;
        await c.Send("DELETE", $"/api/trunks/{spareTrunk}", key);
        await c.Send("DELETE", $"/api/trunks/{spareTrunk}", key);

        var numbers = $"/api/trunks/{trunk}/numbers";
        var number = TestNumbers.Next();
        var spare = TestNumbers.Next();
        await c.Send("POST", numbers, key, new { phoneNumber = number, agentId = agent, additionalParams = new { tier = "gold", weights = new[] { 1, 2 } } });
        await c.Send("POST", numbers, key, new { phoneNumber = number, agentId = agent });
        await c.Send("POST", numbers, key, new { phoneNumber = spare, agentId = agent });
        await c.Send("GET", numbers, key);
        await c.Send("GET", numbers + "?limit=abc", key);
        await c.Send("GET", $"{numbers}/{TestNumbers.Escaped(number)}", key);
        await c.Send("GET", $"{numbers}/12345", key);
        await c.Send("GET", $"{numbers}/{TestNumbers.Escaped(TestNumbers.Next())}", key);
        await c.Send("PUT", $"{numbers}/{TestNumbers.Escaped(number)}", key, new { agentId = agent, additionalParams = (object?)null });
        await c.Send("PUT", $"{numbers}/{TestNumbers.Escaped(TestNumbers.Next())}", key, new { agentId = agent, additionalParams = (object?)null });
        await c.Send("PATCH", $"{numbers}/{TestNumbers.Escaped(number)}", key, new { additionalParams = new { tier = "silver" } }, "application/merge-patch+json");
        await c.Send("PATCH", $"{numbers}/{TestNumbers.Escaped(number)}", key, new { phoneNumber = spare }, "application/merge-patch+json");
        await c.Send("DELETE", $"{numbers}/{TestNumbers.Escaped(spare)}", key);
        await c.Send("DELETE", $"{numbers}/{TestNumbers.Escaped(spare)}", key);

        // The route check: routed, not configured, and its refusals (no number, a trunk that is not the caller's).
        await c.Send("GET", $"/api/route-check?number={TestNumbers.Escaped(number)}&trunkId={trunk}", key);
        await c.Send("GET", $"/api/route-check?number={TestNumbers.Escaped(spare)}", key);
        await c.Send("GET", "/api/route-check?number=", key);
        await c.Send("GET", $"/api/route-check?number={TestNumbers.Escaped(number)}&trunkId=nosuchtrunk0", key);

        // Import (dry run, applied with its progress, the file's problems), export and the global listing.
        var importCsv = $"phoneNumber,agent,trunk,region,additionalParams\r\n{TestNumbers.Next()},{agent},{trunk},,\"{{\"\"a\"\":1}}\"\r\n12345,{agent},{trunk},,\r\n";
        await c.Send("POST", "/api/numbers/import?dryRun=true", key, importCsv, "text/csv");
        await c.Send("POST", "/api/numbers/import?dryRun=true", key, new { numbers = new[] { new { phoneNumber = TestNumbers.Next(), agent, trunk } } });
        await c.Send("POST", "/api/numbers/import?dryRun=true", key, "phoneNumber\r\n", "text/csv");
        await c.Send("POST", "/api/numbers/import?dryRun=true", key, "a,b", "text/plain");
        var started = await c.Send("POST", "/api/numbers/import?mode=valid-rows", key, importCsv, "text/csv");
        for (var poll = 0; poll < 100 && (await c.Send("GET", $"/api/numbers/import/{started.Json["id"]}", key)).Json["phase"]!.GetValue<string>() is not "done"; poll++)
            await Task.Delay(100);
        await c.Send("GET", "/api/numbers/import/nosuchimport0", key);
        await c.Send("GET", "/api/numbers/export?format=json", key);
        await c.Send("GET", "/api/numbers/export", key);
        await c.Send("GET", "/api/numbers/export?format=xlsx", key);
        await c.Send("GET", "/api/numbers?limit=1", key);
        await c.Send("GET", $"/api/numbers?search=555&agentId={agent}&trunkId={trunk}", key);
        await c.Send("GET", "/api/numbers?limit=abc", key);

        // Test calls: no Asterisk is connected here (409), a number that is not the workspace's (404), not E.164 (400).
        await c.Send("POST", $"/api/numbers/{TestNumbers.Escaped(number)}/test-call", key);
        await c.Send("POST", $"/api/numbers/{TestNumbers.Escaped(spare)}/test-call", key);
        await c.Send("POST", "/api/numbers/5551234/test-call", key);
        // Webhooks: the list, the delivery log once the numbers' events are in it, redelivery, removal.
        await c.Send("GET", "/api/workspace/routing-hook", key);
        await c.Send("DELETE", "/api/workspace/routing-hook", key);
        await c.Send("PUT", "/api/workspace/routing-hook", key, new { url = "http://hooks.convocore.invalid/route" });
        await c.Send("PUT", "/api/workspace/routing-hook", key, new { url = "https://hooks.convocore.invalid/route", timeoutMs = 500 });
        await c.Send("GET", "/api/workspace/routing-hook", key);
        await c.Send("DELETE", "/api/workspace/routing-hook", key);
        await c.Send("GET", "/api/webhooks", key);
        await c.Send("GET", "/api/webhooks", op);
        await Numbers.Eventually.True(async () => (await c.Send("GET", $"/api/webhooks/{webhook}/deliveries", key)).Json.AsArray().Count > 0, "a delivery in the log");
        var delivered = Text((await c.Send("GET", $"/api/webhooks/{webhook}/deliveries?limit=1", key)).Json[0]!["eventId"])!;
        await c.Send("GET", "/api/webhooks/nosuchwebhook/deliveries", key);
        await c.Send("POST", $"/api/webhooks/{webhook}/deliveries/{delivered}/redeliver", key);
        await c.Send("POST", $"/api/webhooks/{webhook}/deliveries/evt000000000000/redeliver", key);
        await c.Send("DELETE", $"/api/webhooks/{webhook}", key);
        await c.Send("DELETE", $"/api/webhooks/{webhook}", key);
        await c.Send("GET", "/api/audit?limit=2", key);
        await c.Send("GET", "/api/audit?cursor=nope", key);
        await c.Send("GET", "/api/audit", op);

        // Analytics over calls of both kinds, so the rows and volumes are checked too.
        await RecordCalls(workspaceId, trunk, agent, number, key);
        await c.Send("GET", $"/api/numbers/{TestNumbers.Escaped(number)}/analytics", key);
        await c.Send("GET", $"/api/numbers/{TestNumbers.Escaped(number)}/analytics?from=garbage", key);
        await c.Send("GET", "/api/analytics", key);
        await c.Send("GET", "/api/analytics?to=2026-13-45", key);
        await c.Send("GET", "/api/calls", key);
        await c.Send("GET", "/api/calls?limit=abc", key);
        await c.Send("GET", "/api/operator/unowned-calls", op);
        await c.Send("GET", "/api/operator/unowned-calls?from=garbage", op);

        // The dashboard session: sign-in, the cookie as a credential, sign-out.
        var signedIn = await c.Send("POST", "/api/session", null, new { apiKey = key }, csrf: true);
        await c.Send("POST", "/api/session", null, new { apiKey = "cck_nosuchworkspace0_0000" }, csrf: true);
        await c.Send("POST", "/api/session", null, new { apiKey = key });
        var cookie = signedIn.SessionCookie;
        Assert.NotNull(cookie);
        await c.Send("GET", "/api/workspace", cookie: cookie);
        await c.Send("GET", $"/api/route-check?number={TestNumbers.Escaped(number)}", cookie: cookie);
        await c.Send("POST", "/api/agents", body: new { title = "By cookie" }, cookie: cookie);
        await c.Send("DELETE", "/api/session", cookie: cookie);
        await c.Send("DELETE", "/api/session", cookie: cookie, csrf: true);

        await c.Send("GET", "/health");
        await c.Send("GET", "/health", op);
    }

    private async Task RecordCalls(string workspaceId, string trunkId, string agentId, string number, string key)
    {
        var started = DateTimeOffset.UtcNow.AddHours(-2);
        var recorder = system.Cluster.Silos.OfType<InProcessSiloHandle>().First().SiloHost.Services.GetRequiredService<CallRecorder>();
        recorder.Record(new CallRecord($"contract-{Guid.NewGuid():N}", number, number, "+15550001111", workspaceId, trunkId, agentId, "NA", "contract",
            started, CallOutcome.Routed, null, started.AddSeconds(90), 90, "normal"));
        recorder.Record(new CallRecord($"contract-{Guid.NewGuid():N}", "5559990000", "+15559990000", "+15550001111", null, null, null, "EU", "contract",
            started, CallOutcome.Failed, "unallocated", started, 0.004, null));
        var api = new ApiClient(system.WebAddress, key);
        await Eventually.True(async () => (await api.Get("/api/calls")).Body?["items"]?.AsArray().Count == 1, "the call in the call log", 30);
    }

    private async Task<JsonNode> Document()
    {
        using var http = new HttpClient { BaseAddress = system.WebAddress };
        return JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
    }

    private static IEnumerable<Operation> Operations(JsonNode document) =>
        document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
            .Where(o => o.Key is "get" or "put" or "post" or "delete" or "patch")
            .Select(o => new Operation(o.Key.ToUpperInvariant(), path.Key, o.Value!.AsObject())));

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    private sealed record Operation(string Method, string Path, JsonObject Node)
    {
        private readonly Regex template = new("^" + Regex.Replace(Regex.Escape(Path), @"\\\{[^}]*\}", "[^/]+") + "/?$");

        public string Name => $"{Method} {Path}";

        public bool Matches(Exchange exchange) => exchange.Method == Method && template.IsMatch(exchange.Path);
    }

    private sealed record Exchange(string Method, string Path, int Status, string? ContentType, string Body, string? SessionCookie)
    {
        public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException($"{this}: no body");

        public override string ToString() => $"{Method} {Path} → {Status} {(Body.Length > 300 ? Body[..300] + "…" : Body)}";
    }

    /// <summary>Sends requests as a client would and keeps every answer, for the checks to judge afterwards.</summary>
    private sealed class RecordingClient(Uri baseAddress)
    {
        private static readonly HttpClient Http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false });

        public List<Exchange> Exchanges { get; } = [];

        /// <param name="body">A string is sent as written; anything else as JSON.</param>
        public async Task<Exchange> Send(string method, string pathAndQuery, string? bearer = null, object? body = null,
            string contentType = "application/json", string? cookie = null, bool csrf = false)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(baseAddress, pathAndQuery));
            if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            if (cookie is not null) request.Headers.Add("Cookie", cookie);
            if (csrf) request.Headers.Add(CsrfHeader, "1");
            if (body is not null)
            {
                request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            }
            using var response = await Http.SendAsync(request);
            var session = response.Headers.TryGetValues("Set-Cookie", out var cookies)
                ? cookies.FirstOrDefault(v => v.StartsWith("convocore_session=", StringComparison.Ordinal))?.Split(';')[0]
                : null;
            var exchange = new Exchange(method, pathAndQuery.Split('?')[0], (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType,
                await response.Content.ReadAsStringAsync(), session);
            Exchanges.Add(exchange);
            return exchange;
        }
    }
}
