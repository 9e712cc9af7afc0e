namespace Convocore.Silo.Routing.Ari;

internal readonly record struct AsteriskVersion(int Major, int Minor, int Patch) : IComparable<AsteriskVersion>
{
    /// <summary>Reads the leading "major.minor[.patch]" of strings like "23.4.1", "22.5.0-rc1" or "certified-20.7-cert4".</summary>
    public static bool TryParse(string? text, out AsteriskVersion version)
    {
        version = default;
        if (string.IsNullOrEmpty(text)) return false;

        var span = text.AsSpan();
        var start = span.IndexOfAnyInRange('0', '9');
        if (start < 0) return false;
        span = span[start..];

        Span<int> parts = stackalloc int[3];
        var count = 0;
        while (count < 3)
        {
            var digits = 0;
            while (digits < span.Length && char.IsAsciiDigit(span[digits])) digits++;
            if (digits == 0 || !int.TryParse(span[..digits], out parts[count])) break;
            count++;
            span = span[digits..];
            if (span.Length < 2 || span[0] != '.' || !char.IsAsciiDigit(span[1])) break;
            span = span[1..];
        }

        if (count < 2) return false;
        version = new AsteriskVersion(parts[0], parts[1], count == 3 ? parts[2] : 0);
        return true;
    }

    /// <summary>
    /// A feature listed with <c>since</c> versions per release branch (e.g. 20.20.0, 22.10.0, 23.4.0): present from
    /// that version on its own branch, on every later branch, and absent on branches not listed in between.
    /// </summary>
    public bool Supports(params ReadOnlySpan<AsteriskVersion> since)
    {
        var newestMajor = 0;
        foreach (var first in since)
        {
            if (first.Major == Major) return CompareTo(first) >= 0;
            newestMajor = Math.Max(newestMajor, first.Major);
        }
        return Major > newestMajor;
    }

    public int CompareTo(AsteriskVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major)
        : Minor != other.Minor ? Minor.CompareTo(other.Minor)
        : Patch.CompareTo(other.Patch);

    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}
