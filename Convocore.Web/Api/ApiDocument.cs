using System.Globalization;
using System.Text.Json.Nodes;
using Convocore.Web.Dashboard;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Convocore.Web.Api;

/// <summary>
/// /openapi/v1.json: each endpoint documents its success body and its own refusals (<see cref="ProducesProblems"/>);
/// what the pipeline answers for every endpoint (authentication, the rate limiter, an unavailable cluster) and the
/// credentials each one takes are added here, from the endpoint's authorization metadata.
/// </summary>
internal static class ApiDocument
{
    private const string WorkspaceKey = "workspaceKey";
    private const string OperatorKey = "operatorKey";
    private const string Session = "dashboardSession";

    private const string ProblemJson = "application/problem+json";
    private const string TooManyRequests = "Too many requests; Retry-After tells when to try again";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                [WorkspaceKey] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer", BearerFormat = "cck_…",
                    Description = "A workspace API key (cck_…), as Authorization: Bearer <key>. Keys are issued by the operator.",
                },
                [OperatorKey] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http, Scheme = "bearer",
                    Description = "The operator key (Convocore:OperatorKey), as Authorization: Bearer <key>.",
                },
                [Session] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Cookie, Name = DashboardSession.CookieName,
                    Description = $"The dashboard's session cookie, from POST /api/session. Writes signed in by cookie must send the {DashboardSession.CsrfHeader} header.",
                },
            };
            // additionalParams is kept as the JSON the client sent, which must be an object (NumberRules); the generated
            // schema of JsonElement is {}, which also matches the null of its nullable form.
            document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
            document.Components.Schemas["JsonElement"] = new OpenApiSchema { Type = JsonSchemaType.Object, Description = "Any JSON object" };
            document.Paths["/health"] = Health(document);
            document.Tags ??= new HashSet<OpenApiTag>();
            document.Tags.Add(new OpenApiTag { Name = "Health" });
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(DescribePipeline);
    }

    /// <summary>/health is a health-check endpoint, not a route handler, so the API explorer does not see it.</summary>
    private static OpenApiPathItem Health(OpenApiDocument document)
    {
        var check = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["description"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null },
                ["data"] = new OpenApiSchema { Type = JsonSchemaType.Object },
            },
        };
        var report = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "status" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create("Healthy"), JsonValue.Create("Degraded"), JsonValue.Create("Unhealthy")] },
                ["checks"] = new OpenApiSchema { Type = JsonSchemaType.Object, AdditionalProperties = check, Description = "With the operator key only" },
            },
        };
        OpenApiResponse Answer(string description) => new()
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = report } },
        };
        var operation = new OpenApiOperation
        {
            Summary = "Healthy only when a grain call reaches the cluster; the operator key also gets each check with its data",
            Tags = new HashSet<OpenApiTagReference> { new("Health", document) },
            // Anonymous, or the operator key for the details.
            Security = [new OpenApiSecurityRequirement(), Requirement(OperatorKey, document)],
            Responses = new OpenApiResponses
            {
                ["200"] = Answer("Healthy or degraded"),
                ["503"] = Answer("Unhealthy"),
            },
        };
        Problem(operation, document, StatusCodes.Status429TooManyRequests, TooManyRequests);
        return new OpenApiPathItem { Operations = new Dictionary<HttpMethod, OpenApiOperation> { [HttpMethod.Get] = operation } };
    }

    /// <summary>Documents the problem details an endpoint answers itself, each with the ProblemDetails schema.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses) builder.ProducesProblem(status);
        return builder;
    }

    private static Task DescribePipeline(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document!;
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var policies = metadata.Any(m => m is IAllowAnonymous)
            ? []
            : metadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToHashSet();
        operation.Security = policies.Contains(Principals.OperatorPolicy) ? [Requirement(OperatorKey, document)]
            : policies.Contains(Principals.WorkspacePolicy) ? [Requirement(WorkspaceKey, document), Requirement(Session, document)]
            : [];
        if (operation.Security.Count > 0)
        {
            Problem(operation, document, StatusCodes.Status401Unauthorized, "No credentials, or an unknown or revoked key");
            Problem(operation, document, StatusCodes.Status403Forbidden,
                $"A credential of the wrong kind for this endpoint, or a write signed in by cookie without {DashboardSession.CsrfHeader}");
        }
        // A request with any Authorization header is rate limited, whatever the endpoint (RateLimits).
        Problem(operation, document, StatusCodes.Status429TooManyRequests, TooManyRequests);
        // Authentication itself asks the cluster, so every endpoint depends on it.
        Problem(operation, document, StatusCodes.Status503ServiceUnavailable, "The cluster or its storage is unavailable; Retry-After tells when to try again");
        return Task.CompletedTask;
    }

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument document) =>
        new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static void Problem(OpenApiOperation operation, OpenApiDocument document, int status, string description)
    {
        operation.Responses ??= new OpenApiResponses();
        var key = status.ToString(CultureInfo.InvariantCulture);
        if (operation.Responses.ContainsKey(key)) return;
        operation.Responses[key] = new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, OpenApiMediaType> { [ProblemJson] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) } },
        };
    }
}
