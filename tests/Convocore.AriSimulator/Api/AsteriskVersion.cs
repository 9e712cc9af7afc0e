namespace Convocore.AriSimulator;

/// <summary>"major.minor.patch" of an Asterisk version string such as "23.4.1" or "22.5.0-rc1".</summary>
public readonly record struct AsteriskVersion(int Major, int Minor, int Patch) : IComparable<AsteriskVersion>
{
    public static AsteriskVersion Parse(string text)
    {
        var parts = text.Split('-', 2)[0].Split('.');
        if (parts.Length < 2 || !int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor))
            throw new FormatException($"'{text}' is not an Asterisk version.");
        return new AsteriskVersion(major, minor, parts.Length > 2 && int.TryParse(parts[2], out var patch) ? patch : 0);
    }

    /// <summary>
    /// Whether a route whose <c>since</c> lists one first version per release branch exists here: from that version
    /// on its branch, on every later branch, and not on unlisted branches in between.
    /// </summary>
    public bool Supports(IReadOnlyCollection<AsteriskVersion> since)
    {
        if (since.Count == 0) return true;
        foreach (var first in since)
            if (first.Major == Major) return CompareTo(first) >= 0;
        return Major > since.Max(v => v.Major);
    }

    public int CompareTo(AsteriskVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major)
        : Minor != other.Minor ? Minor.CompareTo(other.Minor)
        : Patch.CompareTo(other.Patch);

    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}
