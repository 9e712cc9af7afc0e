using System.Text.Json.Serialization;

namespace Convocore.Silo.Routing.Ari;

/// <summary>An event from the /ari/events WebSocket (events.json, model Event).</summary>
internal abstract record AriEvent
{
    [JsonPropertyName("application")] public string Application { get; init; } = "";
    [JsonPropertyName("timestamp")] public DateTimeOffset Timestamp { get; init; }
    [JsonPropertyName("asterisk_id")] public string? AsteriskId { get; init; }

    /// <summary>Stopwatch timestamp of the moment the event's last WebSocket frame arrived: where our own time starts.</summary>
    [JsonIgnore] public long ReceivedTimestamp { get; set; }
}

internal sealed record StasisStart : AriEvent
{
    [JsonPropertyName("args")] public IReadOnlyList<string> Args { get; init; } = [];
    [JsonPropertyName("channel")] public Channel Channel { get; init; } = new();
    [JsonPropertyName("replace_channel")] public Channel? ReplaceChannel { get; init; }
}

internal sealed record StasisEnd : AriEvent
{
    [JsonPropertyName("channel")] public Channel Channel { get; init; } = new();
}

internal sealed record ChannelDestroyed : AriEvent
{
    [JsonPropertyName("cause")] public int Cause { get; init; }
    [JsonPropertyName("cause_txt")] public string CauseText { get; init; } = "";
    [JsonPropertyName("tech_cause")] public int? TechCause { get; init; }
    [JsonPropertyName("channel")] public Channel Channel { get; init; } = new();
}

/// <summary>When <see cref="Soft"/> is true, <see cref="Cause"/> is an internal flag, not a Q.850 cause.</summary>
internal sealed record ChannelHangupRequest : AriEvent
{
    [JsonPropertyName("cause")] public int? Cause { get; init; }
    [JsonPropertyName("tech_cause")] public int? TechCause { get; init; }
    [JsonPropertyName("soft")] public bool? Soft { get; init; }
    [JsonPropertyName("channel")] public Channel Channel { get; init; } = new();
}

/// <summary>Another WebSocket took this application over; this connection hears nothing more of it.</summary>
internal sealed record ApplicationReplaced : AriEvent;

/// <summary>The answer to a RESTRequest sent on the events WebSocket.</summary>
internal sealed record RestResponse : AriEvent
{
    [JsonPropertyName("transaction_id")] public string TransactionId { get; init; } = "";
    [JsonPropertyName("request_id")] public string RequestId { get; init; } = "";
    [JsonPropertyName("status_code")] public int StatusCode { get; init; }
    [JsonPropertyName("reason_phrase")] public string ReasonPhrase { get; init; } = "";
    [JsonPropertyName("uri")] public string Uri { get; init; } = "";
    [JsonPropertyName("content_type")] public string? ContentType { get; init; }
    [JsonPropertyName("message_body")] public string? MessageBody { get; init; }
}
