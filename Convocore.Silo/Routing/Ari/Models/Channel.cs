using System.Text.Json.Serialization;

namespace Convocore.Silo.Routing.Ari;

internal sealed record Channel
{
    [JsonPropertyName("id")] public string Id { get; init; } = "";
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("state")] public string State { get; init; } = "";
    [JsonPropertyName("protocol_id")] public string ProtocolId { get; init; } = "";
    [JsonPropertyName("caller")] public CallerId Caller { get; init; } = CallerId.Empty;
    [JsonPropertyName("connected")] public CallerId Connected { get; init; } = CallerId.Empty;
    [JsonPropertyName("accountcode")] public string AccountCode { get; init; } = "";
    [JsonPropertyName("dialplan")] public DialplanCep Dialplan { get; init; } = DialplanCep.Empty;
    [JsonPropertyName("creationtime")] public DateTimeOffset CreationTime { get; init; }
    [JsonPropertyName("language")] public string Language { get; init; } = "";
    /// <summary>Only the variables the server is configured to report (ari.conf channelvars); null when none.</summary>
    [JsonPropertyName("channelvars")] public IReadOnlyDictionary<string, string>? ChannelVars { get; init; }
}

internal sealed record CallerId
{
    public static readonly CallerId Empty = new();
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("number")] public string Number { get; init; } = "";
}

internal sealed record DialplanCep
{
    public static readonly DialplanCep Empty = new();
    [JsonPropertyName("context")] public string Context { get; init; } = "";
    [JsonPropertyName("exten")] public string Exten { get; init; } = "";
    [JsonPropertyName("priority")] public long Priority { get; init; }
    [JsonPropertyName("app_name")] public string AppName { get; init; } = "";
    [JsonPropertyName("app_data")] public string AppData { get; init; } = "";
}
