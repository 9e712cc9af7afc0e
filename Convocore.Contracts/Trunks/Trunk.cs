using System.Text.Json.Serialization;
using Convocore.Contracts.Common;

namespace Convocore.Contracts.Trunks;

[JsonConverter(typeof(JsonStringEnumConverter<Region>))]
public enum Region
{
    NA,
    EU,
}

public static class Regions
{
    public static bool TryParse(string? text, out Region region)
    {
        region = default;
        return text is "NA" or "EU" && Enum.TryParse(text, out region);
    }
}

/// <summary>What a user sends to create or edit a SIP provider (trunk).</summary>
[GenerateSerializer, Immutable, Alias("convocore.trunk-draft")]
public sealed record TrunkDraft(
    [property: Id(0)] string? Name,
    [property: Id(1)] Region Region,
    [property: Id(2)] bool Active,
    [property: Id(3)] string? DefaultCountry)
{
    public TrunkDraft Normalized() => this with { Name = Name?.Trim() };
}

[GenerateSerializer, Immutable, Alias("convocore.trunk")]
public sealed record TrunkInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] Region Region,
    [property: Id(3)] bool Active,
    [property: Id(4)] string? DefaultCountry,
    [property: Id(5)] int NumberCount);

/// <param name="Active">False too when there is no such trunk.</param>
/// <param name="DefaultCountry">The country national-format DIDs from this trunk belong to, if set.</param>
[GenerateSerializer, Immutable, Alias("convocore.trunk-routing")]
public sealed record TrunkRouting([property: Id(0)] bool Active, [property: Id(1)] string? DefaultCountry);

public static class TrunkRules
{
    public const int MaxNameLength = 120;

    public static Failure? Validate(TrunkDraft draft)
    {
        if (string.IsNullOrWhiteSpace(draft.Name)) return Failure.Invalid("Name is required");
        if (draft.Name.Length > MaxNameLength) return Failure.Invalid($"Name must be at most {MaxNameLength} characters");
        if (draft.DefaultCountry is { } country && !Numbers.E164.IsKnownRegion(country))
            return Failure.Invalid("Default country must be a two-letter country code such as US or GB");
        return null;
    }
}

/// <summary>One SIP provider, keyed "workspaceId/trunkId". Changed only through its workspace.</summary>
[Alias("convocore.trunk-grain")]
public interface ITrunkGrain : IGrainWithStringKey
{
    /// <summary>Null when there is no such trunk.</summary>
    Task<TrunkInfo?> Get();

    /// <summary>
    /// For the call path: whether the trunk takes calls, and its default country. Reads no storage, and interleaves with a
    /// change in progress (see <see cref="Numbers.IPhoneNumberGrain.GetAssignment"/>).
    /// </summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<TrunkRouting> Routing();

    /// <summary>Numbers in E.164 order after <paramref name="cursor"/> (exclusive), at most <paramref name="limit"/>.</summary>
    Task<Numbers.NumberPage?> ListNumbers(string? cursor, int limit);
}
