using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Convocore.Contracts.Numbers;
using Convocore.Web.Api;
using Microsoft.Net.Http.Headers;

namespace Convocore.Web.Numbers;

/// <summary>The file's rows, or the problem that refuses the whole file.</summary>
internal readonly record struct ImportFileRead(IReadOnlyList<ImportRow>? Rows, IResult? Problem);

/// <summary>
/// Reads an import file: CSV (text/csv, RFC 4180, the header naming <see cref="Columns"/> in any order) or JSON
/// (<c>{"numbers": [{…}]}</c>), UTF-8, at most <see cref="MaxBytes"/> and <see cref="ImportTexts.MaxRows"/> rows. What
/// refuses the whole file is a problem; what is wrong with one row (its length, a cell of the wrong type) is that row's
/// error in the report, beside the rows the workspace refuses.
/// </summary>
internal static class ImportFile
{
    public const int MaxBytes = 8 * 1024 * 1024;
    public const string CsvType = "text/csv";

    /// <summary>The columns of the import and of the export, in the export's order.</summary>
    public static readonly string[] Columns = ["phoneNumber", "agent", "trunk", "region", "fallback", "additionalParams"];

    /// <summary>Columns a file may leave out: a file without fallback (written before it existed) sets none.</summary>
    private static readonly string[] Optional = ["fallback"];

    public const string TooLarge = "The import file must be at most 8 MiB";
    public const string NotUtf8 = "The import file must be UTF-8 text";
    public const string WrongType = "An import file is CSV (Content-Type: text/csv) or JSON (Content-Type: application/json), in UTF-8";
    public const string Empty = "The import file is empty: its first line must be the header phoneNumber,agent,trunk,region,fallback,additionalParams";
    public const string NoRows = "The import file has a header and no rows";
    public const string NotJson = "The import file is not valid JSON";
    public const string JsonShape = "A JSON import is an object with the rows in \"numbers\": {\"numbers\": [{\"phoneNumber\": \"+15551234567\", \"agent\": \"…\", \"trunk\": \"…\", \"region\": \"NA\", \"fallback\": null, \"additionalParams\": {}}]}";
    public static readonly string TooManyRows = $"An import takes at most {ImportTexts.MaxRows:N0} rows: split the file";

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = RequestBodies.MaxDepth + 3, AllowDuplicateProperties = false };

    public static async Task<ImportFileRead> Read(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !(type.MediaType.Equals(CsvType, StringComparison.OrdinalIgnoreCase) || type.MediaType.Equals(RequestBodies.Json, StringComparison.OrdinalIgnoreCase))
            || type.Charset.Length > 0 && !type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            return Refuse(StatusCodes.Status415UnsupportedMediaType, WrongType);
        if (request.ContentLength > MaxBytes) return Refuse(StatusCodes.Status413PayloadTooLarge, TooLarge);
        var (bytes, problem) = await ReadBytes(request);
        if (problem is not null) return new ImportFileRead(null, problem);
        var utf8 = bytes.AsSpan();
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        if (!System.Text.Unicode.Utf8.IsValid(utf8)) return Refuse(StatusCodes.Status400BadRequest, NotUtf8);
        var text = Encoding.UTF8.GetString(utf8);
        return type.MediaType.Equals(CsvType, StringComparison.OrdinalIgnoreCase) ? FromCsv(text) : FromJson(text);
    }

    private static async Task<(byte[] Bytes, IResult? Problem)> ReadBytes(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > MaxBytes) return ([], Results.Problem(detail: TooLarge, statusCode: StatusCodes.Status413PayloadTooLarge));
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex)
        {
            var tooLarge = ex.StatusCode == StatusCodes.Status413PayloadTooLarge;
            return ([], Results.Problem(detail: tooLarge ? TooLarge : RequestBodies.Unreadable, statusCode: tooLarge ? ex.StatusCode : StatusCodes.Status400BadRequest));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return (buffer.ToArray(), null);
    }

    private static ImportFileRead FromCsv(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Refuse(StatusCodes.Status400BadRequest, Empty);
        var (records, invalid) = Csv.Read(text);
        if (invalid is not null) return Refuse(StatusCodes.Status400BadRequest, invalid);
        if (records!.Count == 0) return Refuse(StatusCodes.Status400BadRequest, Empty);
        var header = records[0].Cells;
        if (HeaderProblem(header) is { } headerProblem) return Refuse(StatusCodes.Status400BadRequest, headerProblem);
        if (records.Count == 1) return Refuse(StatusCodes.Status400BadRequest, NoRows);
        if (records.Count - 1 > ImportTexts.MaxRows) return Refuse(StatusCodes.Status413PayloadTooLarge, TooManyRows);
        var position = Columns.ToDictionary(c => c, c => header.ToList().FindIndex(h => h.Equals(c, StringComparison.OrdinalIgnoreCase)));
        var rows = new List<ImportRow>(records.Count - 1);
        for (var r = 1; r < records.Count; r++)
        {
            var cells = records[r].Cells;
            string? Cell(string column) => cells.Count == header.Count && position[column] >= 0 && cells[position[column]] is { Length: > 0 } value ? value : null;
            var row = new ImportRow(r, Cell("phoneNumber"), Cell("agent"), Cell("trunk"), Cell("region"), Params(Cell("additionalParams")))
            {
                Fallback = Cell("fallback"),
            };
            rows.Add(cells.Count == header.Count ? row
                : row with { PhoneNumber = cells.Count > position["phoneNumber"] ? NullIfEmpty(cells[position["phoneNumber"]]) : null,
                             Refusal = $"The row has {Cells(cells.Count)} where the header has {header.Count}" });
        }
        return new ImportFileRead(rows, null);
    }

    private static string? HeaderProblem(IReadOnlyList<string> header)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in header)
        {
            if (!Columns.Contains(name, StringComparer.OrdinalIgnoreCase))
                return $"The import file's header has a column the import does not know: \"{name}\" (the columns are {string.Join(",", Columns)})";
            if (!seen.Add(name)) return $"The import file's header names the column {name} twice";
        }
        var missing = Columns.Where(c => !seen.Contains(c) && !Optional.Contains(c)).ToArray();
        return missing.Length == 0 ? null : $"The import file's header lacks the column {string.Join(", ", missing)} (the columns are {string.Join(",", Columns)})";
    }

    private static ImportFileRead FromJson(string text)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: JsonOptions);
        }
        catch (JsonException)
        {
            return Refuse(StatusCodes.Status400BadRequest, NotJson);
        }
        if (root is not JsonObject body || body["numbers"] is not JsonArray items) return Refuse(StatusCodes.Status400BadRequest, JsonShape);
        if (items.Count == 0) return Refuse(StatusCodes.Status400BadRequest, NoRows);
        if (items.Count > ImportTexts.MaxRows) return Refuse(StatusCodes.Status413PayloadTooLarge, TooManyRows);
        var rows = new List<ImportRow>(items.Count);
        for (var i = 0; i < items.Count; i++) rows.Add(JsonRow(i + 1, items[i]));
        return new ImportFileRead(rows, null);
    }

    private static ImportRow JsonRow(int row, JsonNode? item)
    {
        var empty = new ImportRow(row, null, null, null, null, null);
        if (item is not JsonObject fields) return empty with { Refusal = "A row must be a JSON object" };
        string? refusal = null;
        string? Text(string name)
        {
            var node = fields[name];
            if (node is null) return null;
            if (node.GetValueKind() == JsonValueKind.String) return NullIfEmpty(node.GetValue<string>().Trim());
            refusal ??= $"{name} must be a string";
            return null;
        }
        string? fallback = null;
        if (fields["fallback"] is { } f)
        {
            var read = FallbackBody.Read(f);
            if (read.Failure is { } invalid) refusal ??= invalid.Detail;
            // The cell's form, so the workspace reads both files alike (an agent by id or title).
            else fallback = read.Value?.ToString();
        }
        var row2 = new ImportRow(row, Text("phoneNumber"), Text("agent"), Text("trunk"), Text("region"),
            fields["additionalParams"] is { } p ? (p is JsonObject ? RequestBodies.StoredText(p) : p.ToJsonString()) : null)
        {
            Fallback = fallback,
        };
        if (fields.Select(f => f.Key).FirstOrDefault(k => !Columns.Contains(k, StringComparer.Ordinal)) is { } unknown)
            refusal ??= $"The row has a field the import does not know: \"{unknown}\"";
        return refusal is null ? row2 : row2 with { Refusal = refusal };
    }

    /// <summary>A cell's JSON as the compact text it is stored as; text that is not a JSON object is passed on for the workspace to refuse.</summary>
    private static string? Params(string? cell)
    {
        if (cell is null) return null;
        try
        {
            return JsonNode.Parse(cell, documentOptions: JsonOptions) is JsonObject node ? RequestBodies.StoredText(node) : cell;
        }
        catch (JsonException)
        {
            return cell;
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string Cells(int count) => count == 1 ? "1 cell" : $"{count} cells";

    private static ImportFileRead Refuse(int status, string detail) => new(null, Results.Problem(detail: detail, statusCode: status));
}
