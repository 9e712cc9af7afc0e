using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Convocore.Silo.Routing.Ari;

/// <summary>
/// Turns one WebSocket text message into a typed event. Only the event types we act on are deserialized;
/// anything else (unknown types, malformed JSON) yields null so a new Asterisk version can never break the loop.
/// </summary>
internal static class AriEventParser
{
    public static AriEvent? Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            return FindType(ref reader) switch
            {
                EventKind.StasisStart => Deserialize(utf8Json, AriJsonContext.Default.StasisStart),
                EventKind.StasisEnd => Deserialize(utf8Json, AriJsonContext.Default.StasisEnd),
                EventKind.ChannelDestroyed => Deserialize(utf8Json, AriJsonContext.Default.ChannelDestroyed),
                EventKind.ChannelHangupRequest => Deserialize(utf8Json, AriJsonContext.Default.ChannelHangupRequest),
                EventKind.ApplicationReplaced => Deserialize(utf8Json, AriJsonContext.Default.ApplicationReplaced),
                EventKind.RestResponse => Deserialize(utf8Json, AriJsonContext.Default.RestResponse),
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static T? Deserialize<T>(ReadOnlySpan<byte> utf8Json, JsonTypeInfo<T> typeInfo) where T : AriEvent =>
        JsonSerializer.Deserialize(utf8Json, typeInfo);

    private enum EventKind { Other, StasisStart, StasisEnd, ChannelDestroyed, ChannelHangupRequest, ApplicationReplaced, RestResponse }

    // "type" is not always the first property (ChannelVarset, ChannelHangupRequest put it later), so scan the top level.
    private static EventKind FindType(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            return EventKind.Other;

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (!isType)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.String) return EventKind.Other;
            if (reader.ValueTextEquals("StasisStart"u8)) return EventKind.StasisStart;
            if (reader.ValueTextEquals("RESTResponse"u8)) return EventKind.RestResponse;
            if (reader.ValueTextEquals("StasisEnd"u8)) return EventKind.StasisEnd;
            if (reader.ValueTextEquals("ChannelDestroyed"u8)) return EventKind.ChannelDestroyed;
            if (reader.ValueTextEquals("ChannelHangupRequest"u8)) return EventKind.ChannelHangupRequest;
            if (reader.ValueTextEquals("ApplicationReplaced"u8)) return EventKind.ApplicationReplaced;
            return EventKind.Other;
        }

        return EventKind.Other;
    }
}
