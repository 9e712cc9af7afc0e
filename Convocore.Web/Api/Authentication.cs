using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Convocore.Contracts.Workspaces;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Convocore.Web.Api;

/// <summary>
/// "Authorization: Bearer &lt;key&gt;": the operator key from configuration (Convocore:OperatorKey), or a
/// workspace API key, which the workspace grain checks. A workspace principal carries its workspace id, and
/// every workspace endpoint works only inside that workspace.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IClusterClient cluster,
    IConfiguration configuration) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string WorkspaceClaim = "convocore:workspace";
    public const string OperatorRole = "operator";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var key = header["Bearer ".Length..].Trim();

        if (configuration["Convocore:OperatorKey"] is { Length: > 0 } operatorKey
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(operatorKey)))
        {
            return Success(key, new Claim(ClaimTypes.Role, OperatorRole));
        }
        if (ApiKeys.TryParse(key, out var workspaceId, out var secret)
            && await cluster.GetGrain<IWorkspaceGrain>(workspaceId).Authenticate(secret))
        {
            return Success(key, new Claim(WorkspaceClaim, workspaceId));
        }
        return AuthenticateResult.Fail("Unknown or revoked API key");
    }

    private AuthenticateResult Success(string key, Claim claim) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(
            [claim, new Claim(RateLimits.CredentialClaim, RateLimits.Fingerprint(key))], SchemeName)), SchemeName));
}

internal static class Principals
{
    public const string WorkspacePolicy = "workspace";
    public const string OperatorPolicy = "operator";

    public static string WorkspaceId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.WorkspaceClaim) ?? throw new InvalidOperationException("Not a workspace principal");

    public static IWorkspaceGrain Workspace(this IClusterClient cluster, ClaimsPrincipal user) =>
        cluster.GetGrain<IWorkspaceGrain>(user.WorkspaceId());
}
