using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Convocore.Silo.Routing.Ari;

/// <summary>One ARI command, sendable over HTTP or as a RESTRequest on the events WebSocket.</summary>
/// <param name="Name">Its span name, method and route template (<see cref="AriTracing"/>).</param>
/// <param name="Path">Relative to /ari/, e.g. "channels/1795526750.167/continue".</param>
internal readonly record struct AriRequest(
    string Name, HttpMethod Method, string Path, KeyValuePair<string, string>[]? Query = null, byte[]? JsonBody = null)
{
    /// <summary>Every query value is percent-encoded: a raw '+' would arrive as a space.</summary>
    public string ToRelativeUri()
    {
        if (Query is not { Length: > 0 }) return Path;

        var uri = new StringBuilder(Path, Path.Length + 64);
        var separator = '?';
        foreach (var (name, value) in Query)
        {
            uri.Append(separator).Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }
        return uri.ToString();
    }

    /// <summary>The RESTRequest message of events.json; query values travel as JSON strings, so they need no encoding.</summary>
    public void WriteRestRequest(Utf8JsonWriter writer, long requestId)
    {
        Span<byte> id = stackalloc byte[20];
        requestId.TryFormat(id, out var idLength, default, CultureInfo.InvariantCulture);

        writer.WriteStartObject();
        writer.WriteString("type"u8, "RESTRequest"u8);
        writer.WriteString("transaction_id"u8, id[..idLength]);
        writer.WriteString("request_id"u8, id[..idLength]);
        writer.WriteString("method"u8, Method.Method);
        writer.WriteString("uri"u8, Path);
        if (Query is { Length: > 0 })
        {
            writer.WriteStartArray("query_strings"u8);
            foreach (var (name, value) in Query)
            {
                writer.WriteStartObject();
                writer.WriteString("name"u8, name);
                writer.WriteString("value"u8, value);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        if (JsonBody is { } body)
        {
            writer.WriteString("content_type"u8, "application/json"u8);
            writer.WriteString("message_body"u8, body);
        }
        writer.WriteEndObject();
    }
}
