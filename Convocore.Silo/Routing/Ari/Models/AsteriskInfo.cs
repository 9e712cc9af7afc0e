using System.Text.Json.Serialization;

namespace Convocore.Silo.Routing.Ari;

/// <summary>GET /asterisk/info (asterisk.json); every section is optional because of the <c>only</c> filter.</summary>
internal sealed record AsteriskInfo
{
    [JsonPropertyName("build")] public BuildInfo? Build { get; init; }
    [JsonPropertyName("system")] public SystemInfo? System { get; init; }
    [JsonPropertyName("config")] public ConfigInfo? Config { get; init; }
    [JsonPropertyName("status")] public StatusInfo? Status { get; init; }
}

internal sealed record BuildInfo
{
    [JsonPropertyName("os")] public string Os { get; init; } = "";
    [JsonPropertyName("kernel")] public string Kernel { get; init; } = "";
    [JsonPropertyName("options")] public string Options { get; init; } = "";
    [JsonPropertyName("machine")] public string Machine { get; init; } = "";
    [JsonPropertyName("date")] public string Date { get; init; } = "";
    [JsonPropertyName("user")] public string User { get; init; } = "";
}

internal sealed record SystemInfo
{
    [JsonPropertyName("version")] public string Version { get; init; } = "";
    [JsonPropertyName("entity_id")] public string EntityId { get; init; } = "";
}

internal sealed record ConfigInfo
{
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("default_language")] public string DefaultLanguage { get; init; } = "";
    [JsonPropertyName("max_channels")] public int? MaxChannels { get; init; }
    [JsonPropertyName("max_open_files")] public int? MaxOpenFiles { get; init; }
    [JsonPropertyName("max_load")] public double? MaxLoad { get; init; }
    [JsonPropertyName("setid")] public SetId? SetId { get; init; }
}

internal sealed record SetId
{
    [JsonPropertyName("user")] public string User { get; init; } = "";
    [JsonPropertyName("group")] public string Group { get; init; } = "";
}

internal sealed record StatusInfo
{
    [JsonPropertyName("startup_time")] public DateTimeOffset StartupTime { get; init; }
    [JsonPropertyName("last_reload_time")] public DateTimeOffset LastReloadTime { get; init; }
}

/// <summary>The body of every ARI error response.</summary>
internal sealed record AriError
{
    [JsonPropertyName("message")] public string Message { get; init; } = "";
}
