using PhoneNumbers;

namespace Convocore.Contracts.Numbers;

/// <summary>
/// Which digits right after a country code libphonenumber may read as (the start of) a national prefix and rewrite,
/// as "+44 0 20…" becomes "+44 20…". Lets the call path keep its plain "+" number as it is without asking
/// libphonenumber, and ask it only when a rewrite is possible.
/// </summary>
internal static class NationalPrefixes
{
    public const ushort NotACallingCode = ushort.MaxValue;
    private const ushort AnyDigit = (1 << 10) - 1;

    /// <summary>
    /// Indexed by calling code (1..999): bit d set when a national number starting with digit d may be rewritten;
    /// <see cref="NotACallingCode"/> for a number that is no calling code.
    /// </summary>
    public static ushort[] FirstDigitsByCallingCode(PhoneNumberUtil util)
    {
        var table = new ushort[1000];
        Array.Fill(table, NotACallingCode);
        foreach (var code in util.GetSupportedCallingCodes())
        {
            if (code is <= 0 or >= 1000) continue;
            // Parsing reads the national number with the metadata of the code's main region only ("US" for +1).
            var region = util.GetRegionCodeForCountryCode(code);
            var metadata = region == "001" ? util.GetMetadataForNonGeographicalRegion(code) : util.GetMetadataForRegion(region);
            table[code] = 0;
            if (metadata is null || !metadata.HasNationalPrefixForParsing || metadata.NationalPrefixForParsing.Length == 0) continue;
            var pattern = new FirstDigits(metadata.NationalPrefixForParsing).Pattern();
            // A transform rule applied to an empty match could insert digits whatever the number starts with.
            table[code] = pattern.Nullable && metadata.HasNationalPrefixTransformRule ? AnyDigit : pattern.First;
        }
        return table;
    }

    /// <summary>
    /// The digits a match of a national-prefix pattern can start with, read from the small regular-expression
    /// language libphonenumber's metadata uses (literals, classes, groups, alternation, quantifiers, anchors).
    /// Anything else counts as any digit, so the answer may be too wide but never too narrow.
    /// </summary>
    private ref struct FirstDigits(string pattern)
    {
        private int position;

        public (ushort First, bool Nullable) Pattern()
        {
            var result = Alternation();
            return position == pattern.Length ? result : (AnyDigit, true);
        }

        private (ushort First, bool Nullable) Alternation()
        {
            var (first, nullable) = Sequence();
            while (Peek() == '|')
            {
                position++;
                var branch = Sequence();
                first |= branch.First;
                nullable |= branch.Nullable;
            }
            return (first, nullable);
        }

        private (ushort First, bool Nullable) Sequence()
        {
            ushort first = 0;
            var nullable = true;
            while (Peek() is { } c && c is not ('|' or ')'))
            {
                var atom = Quantified(Atom());
                if (nullable) first |= atom.First;
                nullable &= atom.Nullable;
            }
            return (first, nullable);
        }

        private (ushort First, bool Nullable) Atom()
        {
            var c = pattern[position++];
            switch (c)
            {
                case >= '0' and <= '9':
                    return ((ushort)(1 << (c - '0')), false);
                case '$' or '^':
                    return (0, true);
                case '(':
                    if (Peek() == '?' && position + 1 < pattern.Length && pattern[position + 1] == ':') position += 2;
                    var group = Alternation();
                    if (Peek() != ')') return (AnyDigit, true);
                    position++;
                    return group;
                case '[':
                    return (Class(), false);
                default:
                    return (AnyDigit, true);
            }
        }

        private ushort Class()
        {
            if (Peek() == '^') return AnyDigit;
            ushort digits = 0;
            while (Peek() is { } c && c != ']')
            {
                position++;
                if (c is < '0' or > '9') return SkipClass();
                var last = c;
                if (Peek() == '-' && position + 1 < pattern.Length && pattern[position + 1] != ']')
                {
                    last = pattern[position + 1];
                    position += 2;
                    if (last is < '0' or > '9') return SkipClass();
                }
                for (var d = c; d <= last; d++) digits |= (ushort)(1 << (d - '0'));
            }
            if (Peek() == ']') position++;
            return digits;
        }

        private ushort SkipClass()
        {
            while (Peek() is { } c && c != ']') position++;
            if (Peek() == ']') position++;
            return AnyDigit;
        }

        private (ushort First, bool Nullable) Quantified((ushort First, bool Nullable) atom)
        {
            switch (Peek())
            {
                case '?' or '*':
                    position++;
                    return (atom.First, true);
                case '+':
                    position++;
                    return atom;
                case '{':
                    var close = pattern.IndexOf('}', position);
                    if (close < 0) return (AnyDigit, true);
                    var least = pattern.AsSpan(position + 1, close - position - 1);
                    var comma = least.IndexOf(',');
                    if (comma >= 0) least = least[..comma];
                    position = close + 1;
                    return int.TryParse(least, out var min) && min > 0 ? atom : (atom.First, true);
                default:
                    return atom;
            }
        }

        private readonly char? Peek() => position < pattern.Length ? pattern[position] : null;
    }
}
