using System.Security.Cryptography;
using System.Text;

namespace Convocore.Contracts.Workspaces;

/// <summary>
/// Workspace API keys look like "cck_{workspaceId}_{secret}": the workspace id tells the web app which grain
/// to ask, and the grain compares a hash of the secret.
/// </summary>
public static class ApiKeys
{
    private const string Prefix = "cck_";

    public static string Format(string workspaceId, string secret) => Prefix + workspaceId + "_" + secret;

    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    public static bool TryParse(string? apiKey, out string workspaceId, out string secret)
    {
        workspaceId = secret = "";
        if (apiKey is null || !apiKey.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = apiKey.AsSpan(Prefix.Length);
        var split = rest.IndexOf('_');
        if (split <= 0 || split == rest.Length - 1) return false;
        workspaceId = rest[..split].ToString();
        secret = rest[(split + 1)..].ToString();
        return Common.Ids.IsWellFormed(workspaceId);
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}
