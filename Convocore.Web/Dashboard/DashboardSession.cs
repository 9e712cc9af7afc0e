using System.Security.Claims;
using Convocore.Contracts.Workspaces;
using Convocore.Web.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Convocore.Web.Dashboard;

internal sealed record SignInRequest(string? ApiKey);

/// <summary>
/// The browser signs in once with a workspace API key and then holds a cookie session; it calls the same REST API
/// as any client. A request that carries an Authorization header is authenticated by the API key scheme as before,
/// any other one by the session cookie.
/// </summary>
internal static class DashboardSession
{
    public const string CookieScheme = "Session";
    public const string SelectingScheme = "ApiKeyOrSession";
    public const string CookieName = "convocore_session";

    /// <summary>
    /// Cookie-authenticated writes must carry this header. A cross-site form cannot set a header, and a cross-site
    /// script cannot either without a CORS preflight, which this app never grants.
    /// </summary>
    public const string CsrfHeader = "X-Convocore-Request";

    public const string UnknownKey = "Unknown or revoked API key";
    public const string KeyRequired = "API key is required";
    public const string MissingCsrfHeader = "Requests signed in by cookie must send the X-Convocore-Request header";

    private const string ApiKeyItem = "convocore:api-key";

    public static IServiceCollection AddDashboardSession(this IServiceCollection services)
    {
        services.AddAuthentication(options => options.DefaultScheme = SelectingScheme)
            .AddPolicyScheme(SelectingScheme, null, options => options.ForwardDefaultSelector = context =>
                context.Request.Headers.Authorization.Count > 0 ? ApiKeyAuthenticationHandler.SchemeName : CookieScheme)
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = true;
                options.Events.OnRedirectToLogin = context => Status(context.Response, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => Status(context.Response, StatusCodes.Status403Forbidden);
                options.Events.OnValidatePrincipal = EndSessionOfRevokedKey;
            });
        return services;
    }

    public static void MapDashboardSession(this IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("/api/session").WithTags("Dashboard session");

        session.MapPost("/", async (HttpContext context, IClusterClient cluster) =>
        {
            var body = await RequestBodies.ReadObject(context.Request, RequestBodies.Json);
            if (body.Problem is { } problem) return problem;
            var fields = new BodyFields(body.Body!);
            var key = fields.String("apiKey", "apiKey must be a string")?.Trim();
            if (fields.Failure is { } invalid) return Problems.From(invalid);
            if (string.IsNullOrEmpty(key)) return Problems.Invalid(KeyRequired);
            if (!await IsLive(cluster, key, out var workspaceId)) return Results.Problem(detail: UnknownKey, statusCode: StatusCodes.Status401Unauthorized);

            var identity = new ClaimsIdentity(
                [new Claim(ApiKeyAuthenticationHandler.WorkspaceClaim, workspaceId), new Claim(RateLimits.CredentialClaim, RateLimits.Fingerprint(key))],
                CookieScheme);
            var properties = new AuthenticationProperties { IsPersistent = false };
            // Kept (encrypted in the cookie) so that revoking the key ends the session too.
            properties.Items[ApiKeyItem] = key;
            await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity), properties);
            return Results.Ok(new { workspaceId });
        }).AllowAnonymous().DocumentBody<SignInRequest>(RequestBodies.Json).ProducesBodyProblems()
            .WithSummary("Dashboard sign-in: exchanges a workspace API key for a session cookie")
            .Produces<SignInResponse>().ProducesProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

        session.MapDelete("/", async (HttpContext context) =>
        {
            await context.SignOutAsync(CookieScheme);
            return Results.NoContent();
        }).AllowAnonymous().WithSummary("Dashboard sign-out")
            .Produces(StatusCodes.Status204NoContent).ProducesProblems(StatusCodes.Status403Forbidden);
    }

    /// <summary>
    /// Refuses cookie-authenticated writes to the API, and sign-in and sign-out themselves, that lack
    /// <see cref="CsrfHeader"/>. Anonymous writes go on to be refused as unauthenticated.
    /// </summary>
    public static IApplicationBuilder UseCsrfHeaderCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var safe = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method);
        var bySession = context.User.Identity is { IsAuthenticated: true, AuthenticationType: CookieScheme } || request.Path.StartsWithSegments("/api/session");
        if (safe || !bySession || !request.Path.StartsWithSegments("/api") || request.Headers.ContainsKey(CsrfHeader))
        {
            await next(context);
            return;
        }
        await Results.Problem(detail: MissingCsrfHeader, statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
    });

    private static async Task EndSessionOfRevokedKey(CookieValidatePrincipalContext context)
    {
        var cluster = context.HttpContext.RequestServices.GetRequiredService<IClusterClient>();
        if (context.Properties.Items.TryGetValue(ApiKeyItem, out var key) && key is not null && await IsLive(cluster, key, out _)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieScheme);
    }

    private static Task<bool> IsLive(IClusterClient cluster, string key, out string workspaceId) =>
        ApiKeys.TryParse(key, out workspaceId, out var secret)
            ? cluster.GetGrain<IWorkspaceGrain>(workspaceId).Authenticate(secret)
            : Task.FromResult(false);

    private static Task Status(HttpResponse response, int status)
    {
        response.StatusCode = status;
        return Task.CompletedTask;
    }
}
