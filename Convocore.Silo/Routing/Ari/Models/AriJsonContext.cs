using System.Text.Json.Serialization;

namespace Convocore.Silo.Routing.Ari;

[JsonSourceGenerationOptions(
    Converters = [typeof(AsteriskTimestampConverter)],
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StasisStart))]
[JsonSerializable(typeof(StasisEnd))]
[JsonSerializable(typeof(ChannelDestroyed))]
[JsonSerializable(typeof(ChannelHangupRequest))]
[JsonSerializable(typeof(ApplicationReplaced))]
[JsonSerializable(typeof(RestResponse))]
[JsonSerializable(typeof(Channel))]
[JsonSerializable(typeof(List<Channel>))]
[JsonSerializable(typeof(AsteriskInfo))]
[JsonSerializable(typeof(AriError))]
[JsonSerializable(typeof(EventFilterBody))]
internal sealed partial class AriJsonContext : JsonSerializerContext;

/// <summary>Body of PUT /applications/{app}/eventFilter: only the listed event types reach the application.</summary>
internal sealed record EventFilterBody([property: JsonPropertyName("allowed")] IReadOnlyList<EventTypeName> Allowed);

internal sealed record EventTypeName([property: JsonPropertyName("type")] string Type);
