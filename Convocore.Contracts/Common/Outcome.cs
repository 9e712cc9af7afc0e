namespace Convocore.Contracts.Common;

/// <summary>How a refused operation maps to HTTP: the web layer turns it into problem details.</summary>
public enum FailureKind
{
    Invalid = 400,
    Forbidden = 403,
    NotFound = 404,
    Conflict = 409,
    TooManyRequests = 429,
}

/// <summary>A refusal with the exact text the user sees.</summary>
[GenerateSerializer, Immutable, Alias("convocore.failure")]
public sealed record Failure([property: Id(0)] FailureKind Kind, [property: Id(1)] string Detail)
{
    /// <summary>A suggestion shown beside the fixed detail text, e.g. "did you mean +15551234567?".</summary>
    [Id(2)] public string? Hint { get; init; }

    /// <summary>With <see cref="FailureKind.TooManyRequests"/>: when to try again (the Retry-After header).</summary>
    [Id(3)] public int? RetryAfterSeconds { get; init; }

    public static Failure Invalid(string detail) => new(FailureKind.Invalid, detail);
    public static Failure NotFound(string detail) => new(FailureKind.NotFound, detail);
    public static Failure Conflict(string detail) => new(FailureKind.Conflict, detail);
    public static Failure Forbidden(string detail) => new(FailureKind.Forbidden, detail);
}

/// <summary>The result of a grain operation that users can get wrong: a value or a <see cref="Failure"/>.</summary>
[GenerateSerializer, Immutable, Alias("convocore.outcome`1")]
public sealed record Outcome<T>([property: Id(0)] T? Value, [property: Id(1)] Failure? Failure)
{
    public bool Succeeded => Failure is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);
    public static implicit operator Outcome<T>(Failure failure) => new(default, failure);
}

/// <summary>An outcome that carries no value.</summary>
[GenerateSerializer, Immutable, Alias("convocore.done")]
public sealed record Done
{
    public static readonly Done Instance = new();
}

/// <summary>An edit computed from what was read a moment before (a PATCH) is refused when another change landed in between.</summary>
public static class ConcurrentEdits
{
    public const string ChangedMeanwhile = "It was changed by another request meanwhile: read it again and retry";
}
