using System.Text;
using System.Text.Json;
using Convocore.Contracts.Common;
using Convocore.Contracts.Trunks;

namespace Convocore.Contracts.Numbers;

[GenerateSerializer, Immutable, Alias("convocore.add-number")]
public sealed record AddNumber(
    [property: Id(0)] string TrunkId,
    [property: Id(1)] string? PhoneNumber,
    [property: Id(2)] string? AgentId,
    [property: Id(3)] Region? Region,
    [property: Id(4)] string? AdditionalParamsJson,
    [property: Id(5)] NumberFallback? Fallback = null,
    [property: Id(6)] bool RoutingHook = false);

/// <summary>
/// Points a number at an agent and sets its params (null: none) in one step. With <see cref="UnlessChangedFrom"/>
/// it is refused (<see cref="ConcurrentEdits.ChangedMeanwhile"/>) unless the number is still set that way.
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.reassign-number")]
public sealed record ReassignNumber(
    [property: Id(0)] string TrunkId,
    [property: Id(1)] string PhoneNumber,
    [property: Id(2)] string? AgentId,
    [property: Id(3)] string? AdditionalParamsJson,
    [property: Id(4)] NumberSettings? UnlessChangedFrom = null,
    [property: Id(5)] NumberFallback? Fallback = null,
    [property: Id(6)] bool RoutingHook = false);

/// <summary>What a user can change on a number: the agent that answers it, its additionalParams (raw JSON), its fallback and whether the routing hook decides its calls.</summary>
[GenerateSerializer, Immutable, Alias("convocore.number-settings")]
public sealed record NumberSettings(
    [property: Id(0)] string AgentId,
    [property: Id(1)] string? AdditionalParamsJson,
    [property: Id(2)] NumberFallback? Fallback = null,
    [property: Id(3)] bool RoutingHook = false);

/// <summary>Who owns a number and where its calls go: the state of its <see cref="IPhoneNumberGrain"/>.</summary>
[GenerateSerializer, Immutable, Alias("convocore.number-assignment")]
public sealed record NumberAssignment(
    [property: Id(0)] string WorkspaceId,
    [property: Id(1)] string TrunkId,
    [property: Id(2)] string AgentId,
    [property: Id(3)] Region Region,
    [property: Id(4)] string? AdditionalParamsJson,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset UpdatedAt,
    [property: Id(7)] Guid OperationId,
    [property: Id(8)] NumberFallback? Fallback = null,
    [property: Id(9)] bool RoutingHook = false);

[GenerateSerializer, Immutable, Alias("convocore.number-info")]
public sealed record NumberInfo(
    [property: Id(0)] string PhoneNumber,
    [property: Id(1)] string TrunkId,
    [property: Id(2)] string AgentId,
    [property: Id(3)] string? AgentTitle,
    [property: Id(4)] Region Region,
    [property: Id(5)] string? AdditionalParamsJson,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset UpdatedAt,
    [property: Id(8)] NumberFallback? Fallback = null,
    [property: Id(9)] bool RoutingHook = false);

[GenerateSerializer, Immutable, Alias("convocore.number-page")]
public sealed record NumberPage([property: Id(0)] IReadOnlyList<NumberInfo> Items, [property: Id(1)] string? NextCursor);

public static class NumberRules
{
    public const string AgentRequired = "Agent is required";
    public const string AlreadyExists = "Phone number already exists";
    public const string TrunkNotFound = "Trunk not found";
    public const string AgentNotFound = "Agent not found";
    public const string NumberNotFound = "Phone number not found";
    public const int MaxAdditionalParamsBytes = 4096;

    /// <summary>additionalParams must be a JSON object of at most 4 KiB (UTF-8); null means none.</summary>
    public static Failure? ValidateAdditionalParams(string? json)
    {
        if (json is null) return null;
        if (Encoding.UTF8.GetByteCount(json) > MaxAdditionalParamsBytes)
            return Failure.Invalid($"additionalParams must be at most {MaxAdditionalParamsBytes} bytes of JSON");
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? null
                : Failure.Invalid("additionalParams must be a JSON object");
        }
        catch (JsonException)
        {
            return Failure.Invalid("additionalParams must be a JSON object");
        }
    }
}
