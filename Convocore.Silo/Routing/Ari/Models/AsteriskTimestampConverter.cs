using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Convocore.Silo.Routing.Ari;

/// <summary>
/// Asterisk writes "2026-11-24T12:54:10.441+0000": the offset has no colon, which System.Text.Json rejects.
/// </summary>
internal sealed class AsteriskTimestampConverter : JsonConverter<DateTimeOffset>
{
    private const string LocalPartFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException("Expected a timestamp string.");

        var length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > 64)
            return Parse(reader.GetString());

        Span<char> text = stackalloc char[64];
        return Parse(text[..reader.CopyString(text)]);
    }

    internal static DateTimeOffset Parse(ReadOnlySpan<char> text)
    {
        // "+hhmm" / "-hhmm" suffix
        if (text.Length > 5 && text[^5] is '+' or '-'
            && int.TryParse(text[^4..^2], NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
            && int.TryParse(text[^2..], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes)
            && DateTime.TryParseExact(text[..^5], LocalPartFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            var offset = new TimeSpan(hours, minutes, 0);
            return new DateTimeOffset(local, text[^5] == '-' ? -offset : offset);
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            return parsed;
        throw new JsonException($"Invalid Asterisk timestamp '{text}'.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        Span<byte> buffer = stackalloc byte[32];
        var utc = value.UtcDateTime;
        utc.TryFormat(buffer, out var written, "yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture);
        "+0000"u8.CopyTo(buffer[written..]);
        writer.WriteStringValue(buffer[..(written + 5)]);
    }
}
