using PhoneNumbers;

namespace Convocore.Contracts.Numbers;

/// <summary>
/// Phone numbers in E.164: '+', a country code and subscriber digits, ASCII digits only, at most 15, a
/// possible number for its country (libphonenumber's IsPossibleNumber, not IsValidNumber, so test ranges such
/// as +1555... are accepted), and exactly libphonenumber's E.164 form of itself, so one line has one key
/// ("+4402079460123", with the national prefix after the country code, is the same line as "+442079460123").
/// Input is never rewritten: a near miss is refused with a hint.
/// </summary>
public static class E164
{
    public const string Required = "Phone number is required";
    public const string InvalidFormat = "Invalid phone number format";

    private const int MaxDigits = 15;
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();
    private static readonly ushort[] RewrittenFirstDigits = NationalPrefixes.FirstDigitsByCallingCode(Util);

    /// <summary>Null when <paramref name="input"/> is a number we accept exactly as written.</summary>
    public static Common.Failure? Validate(string? input)
    {
        if (string.IsNullOrWhiteSpace(input)) return Common.Failure.Invalid(Required);
        if (IsValid(input)) return null;
        var hint = Suggest(input);
        return Common.Failure.Invalid(InvalidFormat) with { Hint = hint is null ? null : $"did you mean {hint}?" };
    }

    public static bool IsValid(string? input) =>
        !string.IsNullOrWhiteSpace(input) && IsStrictlyFormatted(input) && PossibleE164(input) == input;

    public static bool IsKnownRegion(string regionCode) =>
        regionCode.Length == 2 && Util.GetSupportedRegions().Contains(regionCode);

    /// <summary>
    /// Turns the DID a provider sent into E.164: "+15551234567", "15551234567", "0015551234567" and
    /// "01115551234567" all give "+15551234567"; a national number ("02071234567") needs the trunk's default
    /// country. A national prefix dialled after the country code ("+4402079460123", "004402079460123") gives the
    /// key the number is stored under ("+442079460123"), as <see cref="Validate"/> accepts only that form.
    /// Cheap for the common forms: libphonenumber is only consulted for national numbers and for international ones
    /// whose first digit after the country code could start a national prefix of that country.
    /// </summary>
    public static string? NormalizeDialed(ReadOnlySpan<char> dialed, string? defaultCountry = null)
    {
        dialed = dialed.Trim();
        if (dialed.IsEmpty) return null;
        if (dialed[0] == '+') return AllDigits(dialed[1..]) && dialed.Length - 1 <= MaxDigits ? International(dialed[1..]) : null;
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
            digits.Length is > 0 and <= MaxDigits && digits[0] != '0' ? International(digits) : null;
    }

    /// <summary>"+" and the digits, unless libphonenumber reads them as another form of a number (a national prefix after the country code).</summary>
    private static string International(ReadOnlySpan<char> digits)
    {
        if (!MayCarryNationalPrefix(digits)) return string.Concat("+", digits);
        var plain = string.Concat("+", digits);
        try
        {
            return Util.Format(Util.Parse(plain, "ZZ"), PhoneNumberFormat.E164);
        }
        catch (NumberParseException)
        {
            return plain;
        }
    }

    /// <summary>
    /// True when the first digit after the country code could begin a national prefix of that country. Country codes
    /// are prefix-free, so the first of the 1-, 2- and 3-digit prefixes that is one is the country code.
    /// </summary>
    private static bool MayCarryNationalPrefix(ReadOnlySpan<char> digits)
    {
        var code = 0;
        for (var i = 0; i < 3 && i + 1 < digits.Length; i++)
        {
            code = code * 10 + (digits[i] - '0');
            var firstDigits = RewrittenFirstDigits[code];
            if (firstDigits == NationalPrefixes.NotACallingCode) continue;
            return (firstDigits & (1 << (digits[i + 1] - '0'))) != 0;
        }
        return false;
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

    /// <summary>libphonenumber's E.164 form of a '+' number, when it is a possible number of a known country.</summary>
    private static string? PossibleE164(string international)
    {
        try
        {
            var parsed = Util.Parse(international, "ZZ");
            return Util.GetRegionCodeForCountryCode(parsed.CountryCode) != "ZZ" && Util.IsPossibleNumber(parsed)
                ? Util.Format(parsed, PhoneNumberFormat.E164)
                : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>
    /// The obvious E.164 form of a near miss ("+1 (555) 123-4567", "5551234567", "+44 0 20 7946 0123"), if there is one.
    /// </summary>
    private static string? Suggest(string input)
    {
        var trimmed = input.Trim();
        var kept = new string(trimmed.Where(c => char.IsAsciiDigit(c) || c == '+').ToArray());
        if (kept.Length == 0 || kept.LastIndexOf('+') > 0) return null;
        if (trimmed.Any(c => !char.IsAsciiDigit(c) && c is not ('+' or ' ' or '-' or '(' or ')' or '.'))) return null;

        string? candidate;
        if (kept[0] == '+') candidate = PossibleE164(kept);
        else if (kept.StartsWith("00")) candidate = PossibleE164("+" + kept[2..]);
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
