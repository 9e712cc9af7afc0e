using Convocore.Contracts.Common;

namespace Convocore.Web.Api;

/// <summary>Turns grain outcomes into HTTP: a value as JSON, a refusal as RFC 9457 problem details.</summary>
internal static class Problems
{
    public static IResult From(Failure failure)
    {
        var extensions = failure.Hint is null ? null : new Dictionary<string, object?> { ["hint"] = failure.Hint };
        return Results.Problem(detail: failure.Detail, statusCode: (int)failure.Kind, extensions: extensions);
    }

    public static IResult Invalid(string detail) => From(Failure.Invalid(detail));

    public static IResult NotFound(string detail) => From(Failure.NotFound(detail));

    public static IResult ToResult<T>(this Outcome<T> outcome, Func<T, IResult> onSuccess) =>
        outcome.Failure is { } failure ? From(failure) : onSuccess(outcome.Value!);
}
