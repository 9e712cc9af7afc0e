using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Convocore.Web.Api;

/// <summary>A body read as a JSON object, or the problem that refuses it.</summary>
internal readonly record struct BodyRead(JsonObject? Body, IResult? Problem);

/// <summary>
/// Every write endpoint reads its body here rather than through the framework's binding, so a hostile body gets a
/// problem with product text (the framework answers bare 400s and 415s) and the endpoint can tell a missing field from
/// a null one: at most <see cref="MaxBytes"/> (413), <see cref="MaxDepth"/> levels of objects and arrays, UTF-8 JSON
/// of the one media type the endpoint takes (415 otherwise), a JSON object, no field given twice.
/// </summary>
internal static class RequestBodies
{
    public const int MaxBytes = 64 * 1024;
    public const int MaxDepth = 32;
    public const string Json = "application/json";
    public const string MergePatch = "application/merge-patch+json";

    public const string NotJson = "The request body is not valid JSON";
    public const string NotAnObject = "The request body must be a JSON object";
    public const string DuplicateField = "The request body gives a field more than once";
    public const string TooLarge = "The request body must be at most 64 KiB";
    public const string TooDeep = "The request body must not nest objects and arrays more than 32 levels deep";
    public const string Unreadable = "The request body could not be read";
    public const string NotJsonContentType = "The request body must be JSON, sent with Content-Type: application/json";
    public const string NotMergePatchContentType = "A PATCH body must be a JSON merge patch, sent with Content-Type: application/merge-patch+json";

    // Keeps what the user wrote readable when stored (ü stays ü, not \u00FC); nothing here is written into HTML.
    private static readonly JsonSerializerOptions StoredJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <param name="optional">True where the endpoint needs no body: none reads as an empty object.</param>
    public static async Task<BodyRead> ReadObject(HttpRequest request, string mediaType, bool optional = false)
    {
        if (!HasBody(request)) return optional ? new BodyRead([], null) : Refuse(StatusCodes.Status400BadRequest, NotAnObject);
        if (!IsMediaType(request.ContentType, mediaType))
            return Refuse(StatusCodes.Status415UnsupportedMediaType, mediaType == MergePatch ? NotMergePatchContentType : NotJsonContentType);
        if (request.ContentLength > MaxBytes) return Refuse(StatusCodes.Status413PayloadTooLarge, TooLarge);

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBytes + 1);
        try
        {
            var length = 0;
            try
            {
                int read;
                while (length <= MaxBytes && (read = await request.Body.ReadAsync(buffer.AsMemory(length, MaxBytes + 1 - length), request.HttpContext.RequestAborted)) > 0)
                    length += read;
            }
            catch (BadHttpRequestException ex)
            {
                return Refuse(ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? ex.StatusCode : StatusCodes.Status400BadRequest,
                    ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge : Unreadable);
            }
            if (length > MaxBytes) return Refuse(StatusCodes.Status413PayloadTooLarge, TooLarge);
            if (length == 0) return optional ? new BodyRead([], null) : Refuse(StatusCodes.Status400BadRequest, NotAnObject);
            return Parse(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A part of a body as the compact JSON text it is stored as.</summary>
    public static string StoredText(JsonNode node) => node.ToJsonString(StoredJson);

    private static BodyRead Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        // The JSON reader checks the encoding of a string only when it is read, which would be too late here.
        if (!System.Text.Unicode.Utf8.IsValid(utf8)) return Refuse(StatusCodes.Status400BadRequest, NotJson);
        if (CheckSyntax(utf8) is { } problem) return Refuse(StatusCodes.Status400BadRequest, problem);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8, documentOptions: DocumentOptions);
        }
        catch (JsonException)
        {
            // The syntax is fine (checked above), so what is left is a field given twice.
            return Refuse(StatusCodes.Status400BadRequest, DuplicateField);
        }
        return root is JsonObject body ? new BodyRead(body, null) : Refuse(StatusCodes.Status400BadRequest, NotAnObject);
    }

    /// <summary>Tells nesting past <see cref="MaxDepth"/> apart from broken JSON, which the parser's one exception does not.</summary>
    private static string? CheckSyntax(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= MaxDepth) return TooDeep;
            }
            return null;
        }
        catch (JsonException)
        {
            return NotJson;
        }
    }

    private static bool HasBody(HttpRequest request)
    {
        if (request.ContentLength is { } length) return length > 0;
        return request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? true;
    }

    /// <summary>The media type, case-insensitively, with no charset or UTF-8 (JSON is UTF-8, RFC 8259).</summary>
    private static bool IsMediaType(string? contentType, string mediaType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals(mediaType, StringComparison.OrdinalIgnoreCase)
        && (parsed.Charset.Length == 0 || parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static BodyRead Refuse(int status, string detail) => new(null, Results.Problem(detail: detail, statusCode: status));
}
