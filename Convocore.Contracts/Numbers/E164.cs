using PhoneNumbers;

namespace Convocore.Contracts.Numbers;

/// <summary>
/// Phone numbers in E.164: '+', a country code and subscriber digits, ASCII digits only, at most 15, and a
/// possible number for its country (libphonenumber's IsPossibleNumber, not IsValidNumber, so test ranges such
/// as +1555... are accepted). Input is never rewritten: a near miss is refused with a hint.
/// </summary>
public static class E164
{
    public const string Required = "Phone number is required";
    public const string InvalidFormat = "Invalid phone number format";

    private const int MaxDigits = 15;
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>Null when <paramref name="input"/> is a number we accept exactly as written.</summary>
    public static Common.Failure? Validate(string? input)
    {
        if (string.IsNullOrWhiteSpace(input)) return Common.Failure.Invalid(Required);
        if (IsStrictlyFormatted(input) && IsPossible(input)) return null;
        var hint = Suggest(input);
        return Common.Failure.Invalid(InvalidFormat) with { Hint = hint is null ? null : $"did you mean {hint}?" };
    }

    public static bool IsValid(string? input) => !string.IsNullOrWhiteSpace(input) && IsStrictlyFormatted(input) && IsPossible(input);

    public static bool IsKnownRegion(string regionCode) =>
        regionCode.Length == 2 && Util.GetSupportedRegions().Contains(regionCode);

    /// <summary>
    /// Turns the DID a provider sent into E.164: "+15551234567", "15551234567", "0015551234567" and
    /// "01115551234567" all give "+15551234567"; a national number ("02071234567") needs the trunk's default
    /// country. Cheap for the common forms: libphonenumber is only consulted for national numbers.
    /// </summary>
    public static string? NormalizeDialed(ReadOnlySpan<char> dialed, string? defaultCountry = null)
    {
        dialed = dialed.Trim();
        if (dialed.IsEmpty) return null;
        if (dialed[0] == '+') return AllDigits(dialed[1..]) && dialed.Length - 1 <= MaxDigits ? string.Concat("+", dialed[1..]) : null;
        if (!AllDigits(dialed)) return null;
        if (dialed.StartsWith("00")) return Digits(dialed[2..]);
        if (dialed.StartsWith("011") && dialed.Length > 11) return Digits(dialed[3..]);
        if (dialed[0] != '0' && defaultCountry is null) return Digits(dialed);
        if (defaultCountry is null) return null;
        try
        {
            var parsed = Util.Parse(dialed.ToString(), defaultCountry);
            return Util.IsPossibleNumber(parsed) ? Util.Format(parsed, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }

        static string? Digits(ReadOnlySpan<char> digits) =>
            digits.Length is > 0 and <= MaxDigits && digits[0] != '0' ? string.Concat("+", digits) : null;
    }

    /// <summary>
    /// True when a dialed DID carries no international prefix ('+', 00 or 011), so only a default country makes it E.164.
    /// </summary>
    public static bool IsNationalFormat(ReadOnlySpan<char> dialed)
    {
        dialed = dialed.Trim();
        return !dialed.IsEmpty && dialed[0] != '+' && !dialed.StartsWith("00") && !(dialed.StartsWith("011") && dialed.Length > 11);
    }

    private static bool IsStrictlyFormatted(string input) =>
        input.Length is >= 3 and <= MaxDigits + 1 && input[0] == '+' && input[1] != '0' && AllDigits(input.AsSpan(1));

    private static bool AllDigits(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return false;
        foreach (var c in text)
        {
            if (c is < '0' or > '9') return false;
        }
        return true;
    }

    private static bool IsPossible(string e164)
    {
        try
        {
            var parsed = Util.Parse(e164, "ZZ");
            return Util.GetRegionCodeForCountryCode(parsed.CountryCode) != "ZZ" && Util.IsPossibleNumber(parsed);
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>The obvious E.164 form of a near miss ("+1 (555) 123-4567", "5551234567"), if there is one.</summary>
    private static string? Suggest(string input)
    {
        var trimmed = input.Trim();
        var kept = new string(trimmed.Where(c => char.IsAsciiDigit(c) || c == '+').ToArray());
        if (kept.Length == 0 || kept.LastIndexOf('+') > 0) return null;
        if (trimmed.Any(c => !char.IsAsciiDigit(c) && c is not ('+' or ' ' or '-' or '(' or ')' or '.'))) return null;

        string? candidate;
        if (kept[0] == '+') candidate = kept;
        else if (kept.StartsWith("00")) candidate = "+" + kept[2..];
        else
        {
            // A bare national number: North American numbering is the one a 10-digit number most often means.
            try
            {
                var parsed = Util.Parse(kept, "US");
                candidate = Util.Format(parsed, PhoneNumberFormat.E164);
            }
            catch (NumberParseException)
            {
                return null;
            }
        }
        return candidate != input && IsValid(candidate) ? candidate : null;
    }
}
