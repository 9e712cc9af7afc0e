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

    private static string Find() =>
        Infrastructure.SharedFolder.Find("asterisk-ari", "events")
        ?? throw new DirectoryNotFoundException(
            $"shared/asterisk-ari was not found above {AppContext.BaseDirectory}; it must sit beside the repository.");
}
