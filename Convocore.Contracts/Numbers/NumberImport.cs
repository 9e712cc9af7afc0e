using System.Text.Json.Serialization;
using Orleans.Concurrency;

namespace Convocore.Contracts.Numbers;

/// <summary>
/// One row of an import file as the user wrote it, trimmed: the workspace decides what each cell means.
/// <see cref="AdditionalParamsJson"/> is the compact JSON text (or, when it is not JSON, the cell as written, for the
/// validation to refuse). <see cref="Fallback"/> is the fallback cell: "agent:&lt;id or title&gt;", "number:+E164",
/// "sip:user@host", or null/empty for none.
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.import-row")]
public sealed record ImportRow(
    [property: Id(0)] int Row,
    [property: Id(1)] string? PhoneNumber,
    [property: Id(2)] string? Agent,
    [property: Id(3)] string? Trunk,
    [property: Id(4)] string? Region,
    [property: Id(5)] string? AdditionalParamsJson)
{
    /// <summary>A row the file already refused (a cell of the wrong type, a row of the wrong length): it goes straight into the report.</summary>
    [Id(6)] public string? Refusal { get; init; }

    [Id(7)] public string? Fallback { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<ImportRowStatus>))]
public enum ImportRowStatus
{
    [JsonStringEnumMemberName("add")] Add,
    [JsonStringEnumMemberName("update")] Update,
    [JsonStringEnumMemberName("unchanged")] Unchanged,
    [JsonStringEnumMemberName("error")] Error,
}

[GenerateSerializer, Immutable, Alias("convocore.import-row-result")]
public sealed record ImportRowResult(
    [property: Id(0)] int Row,
    [property: Id(1)] string? PhoneNumber,
    [property: Id(2)] ImportRowStatus Status,
    [property: Id(3)] string? Message,
    [property: Id(4)] string? Hint = null);

[JsonConverter(typeof(JsonStringEnumConverter<ImportMode>))]
public enum ImportMode
{
    /// <summary>Nothing is applied when any row is an error.</summary>
    [JsonStringEnumMemberName("all-or-nothing")] AllOrNothing,
    /// <summary>The rows that are not errors are applied.</summary>
    [JsonStringEnumMemberName("valid-rows")] ValidRows,
}

[JsonConverter(typeof(JsonStringEnumConverter<ImportPhase>))]
public enum ImportPhase
{
    /// <summary>All-or-nothing: every row is being checked before anything is applied.</summary>
    [JsonStringEnumMemberName("checking")] Checking,
    [JsonStringEnumMemberName("applying")] Applying,
    [JsonStringEnumMemberName("done")] Done,
    /// <summary>Stopped by a failure it could not get past: running the same file again finishes it.</summary>
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>Where an import stands; <see cref="Rows"/> is the report, filled in once it is done.</summary>
[GenerateSerializer, Immutable, Alias("convocore.import-progress")]
public sealed record ImportProgress(
    [property: Id(0)] string Id,
    [property: Id(1)] ImportMode Mode,
    [property: Id(2)] ImportPhase Phase,
    [property: Id(3)] int Total,
    [property: Id(4)] int Processed,
    [property: Id(5)] bool Applied,
    [property: Id(6)] string? Message,
    [property: Id(7)] IReadOnlyList<ImportRowResult>? Rows,
    [property: Id(8)] DateTimeOffset StartedAt,
    [property: Id(9)] DateTimeOffset? FinishedAt);

public static class ImportTexts
{
    public const int MaxRows = 10_000;
    public const string TrunkRequired = "Trunk is required";
    public const string InvalidRegion = "Region must be NA or EU";
    public const string InvalidFallback = "fallback must be empty, agent:<id or title>, number:+E164 or sip:user@host";
    public const string AlreadyRunning = "An import is already running in this workspace: wait for it to finish";
    public const string ImportNotFound = "Import not found";
    public const string NotApplied = "Not applied: the file has rows in error and the mode is all-or-nothing";
    public const string Failed = "The import stopped because the service was unavailable: run the same file again to finish it (rows already applied read unchanged)";

    public static string Duplicate(int firstRow) => $"The number appears more than once in the file (first in row {firstRow})";
    public static string AmbiguousAgent(string title) => $"More than one agent is titled \"{title}\": give the agent's id";
    public static string AmbiguousTrunk(string name) => $"More than one trunk is named \"{name}\": give the trunk's id";
    public static string OnAnotherTrunk(string trunk) => $"The number is on another trunk of this workspace ({trunk}): an import cannot move it; delete it there first";
    public static string OtherRegion(string region) => $"The number's region is {region}: an import cannot change it; delete the number and add it again";
}

/// <summary>
/// Runs the imports of one workspace (keyed by workspace id), one at a time: checks a file (the dry run), or applies it
/// in batches through the workspace's number-change protocol, keeping its progress so that an import a crash
/// interrupted carries on by itself.
/// </summary>
[Alias("convocore.number-import")]
public interface INumberImportGrain : IGrainWithStringKey
{
    /// <summary>The dry run: what applying would do to each row, now. Changes nothing.</summary>
    [AlwaysInterleave]
    Task<IReadOnlyList<ImportRowResult>> Check(IReadOnlyList<ImportRow> rows);

    /// <summary>Starts applying; refused with <see cref="ImportTexts.AlreadyRunning"/> while another import runs.</summary>
    Task<Common.Outcome<ImportProgress>> Start(ImportMode mode, IReadOnlyList<ImportRow> rows);

    /// <summary>Null when <paramref name="importId"/> is not this workspace's latest import.</summary>
    [AlwaysInterleave]
    Task<ImportProgress?> Progress(string importId);
}
