using System.Text.RegularExpressions;
using Convocore.Contracts.Common;

namespace Convocore.Contracts.Agents;

/// <summary>Which voice an agent speaks with. See <see cref="VoiceConfigurationRules"/> for what is valid.</summary>
[GenerateSerializer, Immutable, Alias("convocore.voice")]
public sealed record VoiceConfiguration(
    [property: Id(0)] string? Provider,
    [property: Id(1)] string? VoiceId,
    [property: Id(2)] string? Language);

/// <summary>What a user sends to create or edit an agent.</summary>
[GenerateSerializer, Immutable, Alias("convocore.agent-draft")]
public sealed record AgentDraft(
    [property: Id(0)] string? Title,
    [property: Id(1)] bool VoiceEnabled,
    [property: Id(2)] VoiceConfiguration? Voice)
{
    public AgentDraft Normalized() => this with { Title = Title?.Trim() };

    public const string NotVoiceEnabled = "Agent is not voice-enabled";
    public const string VoiceInvalidPrefix = "Agent voice configuration is invalid: ";

    /// <summary>Why this agent cannot answer calls, or null when it can.</summary>
    public string? UnavailableReason =>
        !VoiceEnabled ? NotVoiceEnabled
        : VoiceConfigurationRules.Problem(Voice) is { } problem ? VoiceInvalidPrefix + problem
        : null;
}

[GenerateSerializer, Immutable, Alias("convocore.agent")]
public sealed record AgentInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Title,
    [property: Id(2)] bool VoiceEnabled,
    [property: Id(3)] VoiceConfiguration? Voice,
    [property: Id(4)] int NumberCount)
{
    public string? UnavailableReason => new AgentDraft(Title, VoiceEnabled, Voice).UnavailableReason;
}

/// <summary>
/// A voice configuration is valid when the provider is one we can drive, the voice id is a plain token
/// (letters, digits, '.', '_', '-'; at most 100) and the language is a BCP 47 tag of the form "en" or "en-US".
/// An agent may be saved without one (a draft) but cannot answer numbers until it has a valid one.
/// </summary>
public static partial class VoiceConfigurationRules
{
    public static readonly IReadOnlyList<string> Providers = ["azure", "elevenlabs", "google", "openai", "polly"];

    public static string? Problem(VoiceConfiguration? voice)
    {
        if (voice is null) return "a voice configuration is required";
        if (string.IsNullOrWhiteSpace(voice.Provider)) return "provider is required";
        if (!Providers.Contains(voice.Provider)) return $"provider must be one of {string.Join(", ", Providers)}";
        if (string.IsNullOrWhiteSpace(voice.VoiceId)) return "voiceId is required";
        if (!VoiceIdPattern().IsMatch(voice.VoiceId)) return "voiceId may contain only letters, digits, '.', '_' and '-' (at most 100)";
        if (string.IsNullOrWhiteSpace(voice.Language)) return "language is required";
        if (!LanguagePattern().IsMatch(voice.Language)) return "language must be a language tag such as en or en-US";
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex VoiceIdPattern();

    [GeneratedRegex("^[a-z]{2,3}(-[A-Z]{2}|-[0-9]{3})?$")]
    private static partial Regex LanguagePattern();
}

public static class AgentRules
{
    public const int MaxTitleLength = 120;

    /// <summary>Checks what a draft must always satisfy; voice problems only block answering numbers.</summary>
    public static Failure? Validate(AgentDraft draft)
    {
        if (string.IsNullOrWhiteSpace(draft.Title)) return Failure.Invalid("Title is required");
        if (draft.Title.Length > MaxTitleLength) return Failure.Invalid($"Title must be at most {MaxTitleLength} characters");
        if (draft.Voice is { Provider: { Length: > 0 } provider } && !VoiceConfigurationRules.Providers.Contains(provider))
            return Failure.Invalid($"Voice provider must be one of {string.Join(", ", VoiceConfigurationRules.Providers)}");
        return null;
    }
}
