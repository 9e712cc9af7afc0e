using System.Globalization;
using System.Security.Claims;
using Convocore.Contracts.Common;
using Convocore.Contracts.Routing;
using Convocore.Web.Api;

namespace Convocore.Web.TestCalls;

internal sealed record TestCallResponse(string CallId, string PhoneNumber, string Server);

internal static class TestCallEndpoints
{
    public static void MapTestCallEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/numbers/{phoneNumber}/test-call", async (string phoneNumber, HttpResponse response, ClaimsPrincipal user, IClusterClient cluster) =>
        {
            var outcome = await cluster.GetGrain<ITestCallsGrain>(user.WorkspaceId()).Place(phoneNumber);
            if (outcome.Failure is { RetryAfterSeconds: { } seconds })
                response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return outcome.ToResult(placed => Results.Accepted(value: new TestCallResponse(placed.CallId, placed.PhoneNumber, placed.Server)));
        })
            .RequireAuthorization(Principals.WorkspacePolicy).WithTags("Phone numbers")
            .Produces<TestCallResponse>(StatusCodes.Status202Accepted)
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .WithSummary($"Places a real call to the number through its region's Asterisk, taking a caller's path; at most {TestCallRules.PerMinute} a minute per workspace. " +
                         "Its outcome comes on the live feed (TestCall) and in the call log, flagged test");
    }
}
