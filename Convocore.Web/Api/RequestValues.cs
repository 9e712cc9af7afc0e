using System.Globalization;
using Convocore.Contracts.Common;
using Convocore.Contracts.Numbers;

namespace Convocore.Web.Api;

/// <summary>
/// Route and query values are bound as text and checked here, so that a malformed one gets a problem naming it and
/// what it should be (binding an int answers a bare 400 with no detail).
/// </summary>
internal static class RequestValues
{
    /// <summary>
    /// Refuses, before the endpoint runs, a route value that cannot name anything: an id (<c>id</c>, <c>…Id</c>) that is
    /// not one this API gives out, a <c>phoneNumber</c> that is not E.164.
    /// </summary>
    public static RouteGroupBuilder CheckRouteValues(this RouteGroupBuilder group) => group.AddEndpointFilter(async (context, next) =>
    {
        foreach (var (name, value) in context.HttpContext.Request.RouteValues)
        {
            if (value is string text && Refusal(name, text) is { } problem) return problem;
        }
        return await next(context);
    });

    /// <summary>The page size asked for, within [1, <paramref name="max"/>]; the problem when it is not a whole number.</summary>
    public static IResult? PageSize(string? limit, int defaultSize, int max, out int size)
    {
        size = defaultSize;
        if (limit is null) return null;
        if (!long.TryParse(limit, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var asked))
            return Problems.Invalid(NotAPageSize(max));
        size = (int)Math.Clamp(asked, 1, max);
        return null;
    }

    /// <summary>An ISO 8601 date and time, as UTC; one without an offset is read as UTC.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time)
    {
        var ok = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
        if (ok) time = time.ToUniversalTime();
        return ok;
    }

    public static string NotAnId(string name) => $"{name} in the path must be an id this API gave out: lowercase letters and digits";

    public static string NotAPageSize(int max) => $"limit must be a whole number of items per page, at most {max}";

    private static IResult? Refusal(string name, string value) => name switch
    {
        "phoneNumber" => E164.Validate(value) is { } invalid ? Problems.From(invalid) : null,
        _ when (name == "id" || name.EndsWith("Id", StringComparison.Ordinal)) && !Ids.IsWellFormed(value) => Problems.Invalid(NotAnId(name)),
        _ => null,
    };
}
