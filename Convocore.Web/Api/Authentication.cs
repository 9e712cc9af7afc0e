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
/// workspace API key, which the workspace's API keys grain checks. A workspace principal carries its workspace id and
/// the id of its key (never the key), and every workspace endpoint works only inside that workspace.
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
    public const string KeyIdClaim = "convocore:key-id";
    public const string OperatorRole = "operator";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var key = header["Bearer ".Length..].Trim();

        if (configuration["Convocore:OperatorKey"] is { Length: > 0 } operatorKey
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(operatorKey)))
        {
            return Success(new ClaimsIdentity([new Claim(ClaimTypes.Role, OperatorRole), new Claim(RateLimits.CredentialClaim, OperatorRole)], SchemeName));
        }
        if (ApiKeys.TryParse(key, out var workspaceId, out var secret)
            && await cluster.GetGrain<IApiKeysGrain>(workspaceId).Authenticate(secret) is { } keyId)
        {
            return Success(WorkspaceIdentity(workspaceId, keyId, SchemeName));
        }
        return AuthenticateResult.Fail("Unknown or revoked API key");
    }

    /// <summary>The identity of a workspace key's holder, by API key or by a dashboard session started with it.</summary>
    public static ClaimsIdentity WorkspaceIdentity(string workspaceId, string keyId, string scheme) =>
        new([new Claim(WorkspaceClaim, workspaceId), new Claim(KeyIdClaim, keyId), new Claim(RateLimits.CredentialClaim, keyId)], scheme);

    private AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
}

internal static class Principals
{
    public const string WorkspacePolicy = "workspace";
    public const string OperatorPolicy = "operator";

    public static string WorkspaceId(this ClaimsPrincipal user) =>
        user.FindFirstValue(ApiKeyAuthenticationHandler.WorkspaceClaim) ?? throw new InvalidOperationException("Not a workspace principal");

    public static string? KeyId(this ClaimsPrincipal user) => user.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim);

    public static IWorkspaceGrain Workspace(this IClusterClient cluster, ClaimsPrincipal user) =>
        cluster.GetGrain<IWorkspaceGrain>(user.WorkspaceId());
}
