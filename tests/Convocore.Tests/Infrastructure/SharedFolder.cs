namespace Convocore.Tests.Infrastructure;

/// <summary>
/// shared/ sits beside the repository: /work/shared next to /work/main locally, and a copy beside the clone in CI.
/// Searched upward from the test binaries.
/// </summary>
internal static class SharedFolder
{
    /// <summary>The full path of shared/<paramref name="relativePath"/> when it holds <paramref name="marker"/>, else null.</summary>
    public static string? Find(string relativePath, string marker)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            foreach (var candidate in new[]
                     {
                         Path.Combine(directory.FullName, "shared", relativePath),
                         Path.Combine(directory.FullName, "..", "shared", relativePath),
                     })
            {
                if (Path.Exists(Path.Combine(candidate, marker))) return Path.GetFullPath(candidate);
            }
        }
        return null;
    }
}
