using System.Security.Cryptography;

namespace Convocore.Contracts.Common;

/// <summary>
/// Ids of workspaces, agents and trunks: lowercase letters and digits only, because an agent id becomes an
/// Asterisk extension (`continue` to `convocore-agent`) and must need no escaping anywhere.
/// </summary>
public static class Ids
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const int Length = 12;

    public static string New() => RandomNumberGenerator.GetString(Alphabet, Length);

    public static bool IsWellFormed(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));

    /// <summary>Agents and trunks are grains keyed "workspace/id", so one workspace cannot reach another's.</summary>
    public static string Scoped(string workspaceId, string id) => workspaceId + "/" + id;

    public static (string WorkspaceId, string Id) Unscope(string scopedId)
    {
        var split = scopedId.IndexOf('/');
        return (scopedId[..split], scopedId[(split + 1)..]);
    }
}
