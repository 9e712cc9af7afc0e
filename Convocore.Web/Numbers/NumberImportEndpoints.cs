using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;
using Convocore.Web.Api;
using Microsoft.OpenApi;

namespace Convocore.Web.Numbers;

internal sealed record ImportSummary(int Add, int Update, int Unchanged, int Error);
internal sealed record ImportRowResponse(int Row, string? PhoneNumber, ImportRowStatus Status, string? Message, string? Hint);
internal sealed record DryRunResponse(bool DryRun, ImportMode Mode, int Total, ImportSummary Summary, IEnumerable<ImportRowResponse> Rows);
internal sealed record ImportProgressResponse(string Id, ImportMode Mode, ImportPhase Phase, int Total, int Processed, bool Applied,
    string? Message, ImportSummary? Summary, IEnumerable<ImportRowResponse>? Rows, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);
internal sealed record ExportedNumber(string PhoneNumber, string Agent, string Trunk, string Region, FallbackResponse? Fallback, JsonElement? AdditionalParams);
internal sealed record ExportResponse(IEnumerable<ExportedNumber> Numbers);

/// <summary>The body an import takes, for the document: a CSV file with the same columns is the other form.</summary>
internal sealed record ImportRequest(IEnumerable<ExportedNumber> Numbers);

internal static class NumberImportEndpoints
{
    public const string InvalidDryRun = "dryRun must be true or false";
    public const string InvalidMode = "mode must be all-or-nothing or valid-rows";
    public const string InvalidFormat = "format must be csv or json";

    public static void MapNumberImportEndpoints(this IEndpointRouteBuilder app)
    {
        var numbers = app.MapGroup("/api/numbers").RequireAuthorization(Principals.WorkspacePolicy).WithTags("Phone numbers");

        numbers.MapPost("/import", async (string? dryRun, string? mode, HttpRequest http, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var check = dryRun switch { null or "false" => false, "true" => true, _ => (bool?)null };
            if (check is null) return Problems.Invalid(InvalidDryRun);
            ImportMode? importMode = mode switch { null or "all-or-nothing" => ImportMode.AllOrNothing, "valid-rows" => ImportMode.ValidRows, _ => null };
            if (importMode is null) return Problems.Invalid(InvalidMode);
            var file = await ImportFile.Read(http);
            if (file.Problem is { } problem) return problem;
            var imports = cluster.GetGrain<INumberImportGrain>(user.WorkspaceId());
            if (check.Value)
            {
                var rows = await imports.Check(file.Rows!);
                return Results.Ok(new DryRunResponse(true, importMode.Value, rows.Count, Summarize(rows), rows.Select(ToResponse)));
            }
            var started = await imports.Start(importMode.Value, file.Rows!);
            return started.ToResult(progress => Results.Accepted($"/api/numbers/import/{progress.Id}", ToResponse(progress)));
        }).DocumentBody<ImportRequest>(RequestBodies.Json).Produces<DryRunResponse>().Produces<ImportProgressResponse>(StatusCodes.Status202Accepted)
            .ProducesBodyProblems().ProducesProblems(StatusCodes.Status409Conflict)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                // The same rows as CSV: header phoneNumber,agent,trunk,region,fallback,additionalParams.
                operation.RequestBody!.Content![ImportFile.CsvType] = CsvText();
                return Task.CompletedTask;
            })
            .WithSummary("Import numbers from CSV (text/csv) or JSON: dryRun=true answers what each row would do; otherwise 202 and the import's progress")
            .WithDescription("CSV header phoneNumber,agent,trunk,region,fallback,additionalParams (RFC 4180; fallback may be left out); agent and trunk by id or exact title/name; " +
                             "fallback agent:<id or title>, number:+E164, sip:user@host or empty for none (JSON: the API's fallback object or null); " +
                             "additionalParams a JSON object. mode=all-or-nothing (default) applies nothing when a row is an error; valid-rows applies the rest. " +
                             "Each row reports add, update, unchanged or error with the product's message; applying the same file again changes nothing.");

        numbers.MapGet("/import/{id}", async (string id, ClaimsPrincipal user, IClusterClient cluster) =>
            await cluster.GetGrain<INumberImportGrain>(user.WorkspaceId()).Progress(id) is { } progress
                ? Results.Ok(ToResponse(progress))
                : Problems.NotFound(ImportTexts.ImportNotFound))
            .Produces<ImportProgressResponse>().ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound)
            .WithSummary("An import's progress (phase, rows processed of total) and, once done, its report");

        numbers.MapGet("/export", async (string? format, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            if (format is not (null or "csv" or "json")) return Problems.Invalid(InvalidFormat);
            var exported = await cluster.GetGrain<INumberDirectoryGrain>(0).Export(user.WorkspaceId());
            if (format == "json") return Results.Ok(new ExportResponse(exported.Select(ToExported)));
            var csv = new StringBuilder();
            Csv.WriteRecord(csv, ImportFile.Columns);
            foreach (var n in exported) Csv.WriteRecord(csv, [n.PhoneNumber, n.AgentId, n.TrunkId, n.Region.ToString(), n.Fallback?.ToString(), n.AdditionalParamsJson]);
            return Results.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", "numbers.csv");
        }).Produces<ExportResponse>().ProducesProblems(StatusCodes.Status400BadRequest)
            .AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Responses!["200"].Content![ImportFile.CsvType] = CsvText();
                return Task.CompletedTask;
            })
            .WithSummary("Every number of the workspace in the import's format (CSV by default, or format=json): re-importing it changes nothing")
            .WithDescription("Agent and trunk are given by id. CSV cells a spreadsheet would run as a formula (= + - @) start with an apostrophe, which the import removes.");
    }

    private static OpenApiMediaType CsvText() => new()
    {
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "CSV (RFC 4180) with the header phoneNumber,agent,trunk,region,fallback,additionalParams" },
    };

    private static ImportSummary Summarize(IReadOnlyList<ImportRowResult> rows) => new(
        rows.Count(r => r.Status == ImportRowStatus.Add), rows.Count(r => r.Status == ImportRowStatus.Update),
        rows.Count(r => r.Status == ImportRowStatus.Unchanged), rows.Count(r => r.Status == ImportRowStatus.Error));

    private static ImportRowResponse ToResponse(ImportRowResult r) => new(r.Row, r.PhoneNumber, r.Status, r.Message, r.Hint);

    private static ImportProgressResponse ToResponse(ImportProgress p) => new(p.Id, p.Mode, p.Phase, p.Total, p.Processed, p.Applied, p.Message,
        p.Rows is null ? null : Summarize(p.Rows), p.Rows?.Select(ToResponse), p.StartedAt, p.FinishedAt);

    private static ExportedNumber ToExported(NumberInfo n) => new(n.PhoneNumber, n.AgentId, n.TrunkId, n.Region.ToString(), FallbackBody.ToResponse(n.Fallback),
        n.AdditionalParamsJson is null ? null : JsonDocument.Parse(n.AdditionalParamsJson).RootElement.Clone());
}
