using System.Security.Claims;
using Convocore.Contracts.Workspaces;
using Convocore.Web.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Convocore.Web.Dashboard;

internal sealed record SignInRequest(string? ApiKey);

/// <summary>
/// The browser signs in once with a workspace API key and then holds a session (<see cref="DashboardSessionStore"/>):
/// the cookie carries only the session's id, and the session names the key's id, never the key. It calls the same
/// REST API as any client. A request that carries an Authorization header is authenticated by the API key scheme as
/// before, any other one by the session cookie. Every request checks that the session's key is still live, so revoking
/// a key ends its sessions at once (and their live connections: <see cref="Live.LiveConnections"/>).
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
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = true;
                options.Events.OnRedirectToLogin = context => Status(context.Response, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => Status(context.Response, StatusCodes.Status403Forbidden);
                options.Events.OnValidatePrincipal = EndSessionOfRevokedKey;
            });
        services.AddSingleton<DashboardSessionStore>();
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<DashboardSessionStore, IHostEnvironment>((options, store, environment) =>
        {
            options.SessionStore = store;
            // Outside Development the dashboard is served over HTTPS (directly or behind a proxy that says so).
            options.Cookie.SecurePolicy = environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
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
            if (!ApiKeys.TryParse(key, out var workspaceId, out var secret)
                || await cluster.GetGrain<IApiKeysGrain>(workspaceId).Authenticate(secret) is not { } keyId)
                return Results.Problem(detail: UnknownKey, statusCode: StatusCodes.Status401Unauthorized);

            var identity = ApiKeyAuthenticationHandler.WorkspaceIdentity(workspaceId, keyId, CookieScheme);
            await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
            return Results.Ok(new SignInResponse(workspaceId));
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
        if (context.Principal is { } user && await IsLive(cluster, user)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieScheme);
    }

    /// <summary>Whether the workspace key a principal was authenticated with (directly or by a session) is still live.</summary>
    public static async Task<bool> IsLive(IClusterClient cluster, ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.WorkspaceClaim) is { } workspaceId && user.KeyId() is { } keyId
        && await cluster.GetGrain<IApiKeysGrain>(workspaceId).IsLive(keyId);

    private static Task Status(HttpResponse response, int status)
    {
        response.StatusCode = status;
        return Task.CompletedTask;
    }
}
