using System.Text.Json;
using System.Text.Json.Nodes;
using Convocore.Contracts.Common;

namespace Convocore.Web.Api;

/// <summary>
/// Reads the fields of a JSON object body with the product's text for a field of the wrong type or a missing one.
/// The first refusal is kept and every later read answers null, so an endpoint reads all its fields, then checks
/// <see cref="Failure"/> once.
/// </summary>
internal sealed class BodyFields(JsonObject body)
{
    public Failure? Failure { get; private set; }

    /// <param name="missing">The refusal when the field is absent (and when it is null, unless <paramref name="nullAllowed"/>); null when it may be absent.</param>
    public string? String(string name, string wrongType, string? missing = null, bool nullAllowed = false) =>
        Value(name, missing, nullAllowed) switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => Refuse(wrongType),
        };

    public bool? Bool(string name, string? missing = null) =>
        Value(name, missing, nullAllowed: false) switch
        {
            null => null,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            _ => Refuse<bool?>($"{name} must be true or false"),
        };

    public JsonObject? Object(string name, string wrongType, string? missing = null, bool nullAllowed = false) =>
        Value(name, missing, nullAllowed) switch
        {
            null => null,
            JsonObject o => o,
            _ => Refuse<JsonObject>(wrongType),
        };

    /// <summary>The field as sent, whatever its type; the caller's rules judge it.</summary>
    public JsonNode? Any(string name, string? missing = null, bool nullAllowed = false) => Value(name, missing, nullAllowed);

    /// <summary>Refuses a field this body may not name (a PATCH of something that cannot change).</summary>
    public void OnlyThese(IReadOnlyCollection<string> names)
    {
        if (Failure is not null) return;
        foreach (var (name, _) in body)
        {
            if (names.Contains(name)) continue;
            Failure = Failure.Invalid($"{name} cannot be changed");
            return;
        }
    }

    /// <summary>Refuses null for a field that must keep a value (a PATCH removes what it sets to null).</summary>
    public void NotNull(params string[] names)
    {
        if (Failure is not null) return;
        foreach (var name in names)
        {
            if (!body.TryGetPropertyValue(name, out var value) || value is not null) continue;
            Failure = Failure.Invalid($"{name} is required and cannot be removed");
            return;
        }
    }

    public void Refuse(Failure failure) => Failure ??= failure;

    private JsonNode? Value(string name, string? missing, bool nullAllowed)
    {
        if (Failure is not null) return null;
        if (!body.TryGetPropertyValue(name, out var value) || (value is null && !nullAllowed))
        {
            if (missing is not null) Failure = Failure.Invalid(missing);
            return null;
        }
        return value;
    }

    private string? Refuse(string detail) => Refuse<string>(detail);

    private T? Refuse<T>(string detail)
    {
        Failure ??= Failure.Invalid(detail);
        return default;
    }
}

/// <summary>JSON Merge Patch (RFC 7396): objects merge member by member, null removes a member, anything else replaces.</summary>
internal static class MergePatch
{
    /// <param name="target">Changed in place where it is an object; the result is the patched document.</param>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject members) return patch?.DeepClone();
        var result = target as JsonObject ?? [];
        foreach (var (name, value) in members)
        {
            result.TryGetPropertyValue(name, out var existing);
            result.Remove(name);
            if (value is not null) result[name] = Apply(existing, value);
        }
        return result;
    }
}
