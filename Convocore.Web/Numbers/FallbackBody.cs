using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;

namespace Convocore.Web.Numbers;

/// <summary>A number's fallback as the API shows it: type agent with agentId, number with phoneNumber, or sip with uri.</summary>
internal sealed record FallbackResponse(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AgentId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PhoneNumber = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Uri = null);

/// <summary>Reads and writes the <c>fallback</c> member of a number's body: the object, or null for none.</summary>
internal static class FallbackBody
{
    /// <summary>The fallback a body's member names (null: none), or the refusal of its shape. The workspace checks the target.</summary>
    public static Outcome<NumberFallback?> Read(JsonNode? node)
    {
        if (node is null) return new Outcome<NumberFallback?>(null, null);
        if (node is not JsonObject fields || fields["type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String)
            return Failure.Invalid(FallbackRules.InvalidFallback);
        var (kind, member) = type.GetValue<string>() switch
        {
            "agent" => (FallbackKind.Agent, "agentId"),
            "number" => (FallbackKind.Number, "phoneNumber"),
            "sip" => (FallbackKind.Sip, "uri"),
            _ => ((FallbackKind?)null, ""),
        };
        if (kind is null || fields.Count != 2 || fields[member] is not JsonValue target || target.GetValueKind() != JsonValueKind.String)
            return Failure.Invalid(FallbackRules.InvalidFallback);
        return new NumberFallback(kind.Value, target.GetValue<string>());
    }

    public static JsonObject ToJson(NumberFallback fallback) => new() { ["type"] = fallback.TypeName, [fallback.TargetName] = fallback.Target };

    public static FallbackResponse? ToResponse(NumberFallback? fallback) => fallback switch
    {
        null => null,
        { Kind: FallbackKind.Agent } => new FallbackResponse("agent", AgentId: fallback.Target),
        { Kind: FallbackKind.Number } => new FallbackResponse("number", PhoneNumber: fallback.Target),
        _ => new FallbackResponse("sip", Uri: fallback.Target),
    };
}
