using System.Text.RegularExpressions;
using Convocore.Contracts.Common;

namespace Convocore.Contracts.Numbers;

public enum FallbackKind
{
    Agent,
    Number,
    Sip,
}

/// <summary>
/// Where a number's calls go when its agent cannot take them: another agent of the workspace (its id), a phone number
/// (E.164) dialled through the provider, or a SIP URI dialled directly.
/// </summary>
[GenerateSerializer, Immutable, Alias("convocore.number-fallback")]
public sealed record NumberFallback([property: Id(0)] FallbackKind Kind, [property: Id(1)] string Target)
{
    /// <summary>"agent:&lt;id&gt;", "number:+E164" or the SIP URI itself: the form of the import's column and the call record.</summary>
    public override string ToString() => Kind switch
    {
        FallbackKind.Agent => "agent:" + Target,
        FallbackKind.Number => "number:" + Target,
        _ => Target,
    };

    public string TypeName => Kind switch
    {
        FallbackKind.Agent => "agent",
        FallbackKind.Number => "number",
        _ => "sip",
    };

    /// <summary>The member of the target in the API's object: agentId, phoneNumber or uri.</summary>
    public string TargetName => Kind switch
    {
        FallbackKind.Agent => "agentId",
        FallbackKind.Number => "phoneNumber",
        _ => "uri",
    };

    /// <summary>Reads <see cref="ToString"/>'s form back; null when it is not one.</summary>
    public static NumberFallback? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (text.StartsWith("agent:", StringComparison.Ordinal)) return new(FallbackKind.Agent, text[6..]);
        if (text.StartsWith("number:", StringComparison.Ordinal)) return new(FallbackKind.Number, text[7..]);
        if (text.StartsWith("sip:", StringComparison.Ordinal)) return new(FallbackKind.Sip, text);
        return null;
    }

    /// <summary>The API's form, {"type": "agent", "agentId": "…"} (or phoneNumber, or uri), or null; <paramref name="reason"/> too when given.</summary>
    public static void Write(System.Text.Json.Utf8JsonWriter w, NumberFallback? fallback, string? reason = null)
    {
        if (fallback is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        w.WriteString("type", fallback.TypeName);
        w.WriteString(fallback.TargetName, fallback.Target);
        if (reason is not null) w.WriteString("reason", reason);
        w.WriteEndObject();
    }
}

public static partial class FallbackRules
{
    public const string InvalidSipUri = "Invalid SIP URI";
    public const string InvalidFallback = "fallback must be null or an object with type agent (and agentId), number (and phoneNumber) or sip (and uri)";
    public const int MaxSipUriLength = 256;

    /// <summary>
    /// sip:user@host[:port], nothing else: the URI lands in a Dial() argument, so every character that means something to
    /// the dialplan (",", "&amp;", "$", "(", ";", spaces …) is refused rather than escaped.
    /// </summary>
    public static bool IsSipUri(string? uri) => uri is { Length: <= MaxSipUriLength } && SipUri().IsMatch(uri);

    /// <summary>The checks that need no workspace: E.164 and the SIP URI (an agent is the workspace's to check).</summary>
    public static Failure? Validate(NumberFallback? fallback) => fallback switch
    {
        null => null,
        { Kind: FallbackKind.Number } => E164.Validate(fallback.Target),
        { Kind: FallbackKind.Sip } => IsSipUri(fallback.Target) ? null : Failure.Invalid(InvalidSipUri),
        { Kind: FallbackKind.Agent } => Ids.IsWellFormed(fallback.Target) ? null : Failure.NotFound(NumberRules.AgentNotFound),
        _ => Failure.Invalid(InvalidFallback),
    };

    [GeneratedRegex(@"^sip:[A-Za-z0-9._~+*#-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*(?::[0-9]{1,5})?$", RegexOptions.CultureInvariant)]
    private static partial Regex SipUri();
}
