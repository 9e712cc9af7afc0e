namespace Convocore.Tests.Routing.Ari;

/// <summary>
/// Finds shared/asterisk-ari: beside the repository locally (/work/shared next to /work/main) and in CI, where a copy
/// of shared/ sits beside the clone. Missing files fail the tests instead of skipping them.
/// </summary>
internal static class SharedAriFiles
{
    private static readonly Lazy<string> RootDirectory = new(Find);

    public static string Root => RootDirectory.Value;

    public static string EventsDirectory => Path.Combine(Root, "events");

    public static string Event(string relativePath) => File.ReadAllText(Path.Combine(EventsDirectory, relativePath));

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            foreach (var candidate in new[]
                     {
                         Path.Combine(directory.FullName, "shared", "asterisk-ari"),
                         Path.Combine(directory.FullName, "..", "shared", "asterisk-ari"),
                     })
            {
                if (Directory.Exists(Path.Combine(candidate, "events"))) return Path.GetFullPath(candidate);
            }
        }
        throw new DirectoryNotFoundException(
            $"shared/asterisk-ari was not found above {AppContext.BaseDirectory}; it must sit beside the repository.");
    }
}
