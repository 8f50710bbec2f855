using System.Globalization;
using System.Text;

namespace Keypost.Core.Addresses;

/// <summary>
/// In charge of email addresses: parsing, normalising and comparing them.
/// An RFC 5321 mailbox (addr-spec) in its canonical form: the local part as written (case is the
/// receiving domain's business, RFC 5321 §2.4) in Unicode NFC, and the domain as lower-case IDNA A-labels.
/// </summary>
public sealed class EmailAddress : IEquatable<EmailAddress>
{
    // RFC 5321 §4.5.3.1.1 and §4.5.3.1.2.
    private const int MaxLocalPartOctets = 64;
    private const int MaxDomainOctets = 255;
    private const int MaxLabelOctets = 63;

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    private EmailAddress(string localPart, string domain)
    {
        LocalPart = localPart;
        Domain = domain;
    }

    /// <summary>The local part, case preserved, NFC-normalised (RFC 6532 §3.1).</summary>
    public string LocalPart { get; }

    /// <summary>The domain as lower-case A-labels (RFC 5890).</summary>
    public string Domain { get; }

    /// <summary>The domain as U-labels, for display.</summary>
    public string UnicodeDomain => Idn.GetUnicode(Domain);

    /// <summary>True when the local part needs SMTPUTF8 (RFC 6531).</summary>
    public bool IsInternational => LocalPart.Any(c => c > 0x7f);

    /// <summary>
    /// The form used to compare addresses and find keys: ASCII letters of the local part lower-cased, as
    /// draft-koch-openpgp-webkey-service §3.1 and GnuPG do; other characters untouched.
    /// </summary>
    public string Canonical => AsciiLower(LocalPart) + "@" + Domain;

    public static EmailAddress Parse(string text)
    {
        return TryParse(text, out var address, out var error)
            ? address!
            : throw new AddressFormatException(error!);
    }

    public static bool TryParse(string? text, out EmailAddress? address, out string? error)
    {
        address = null;
        error = Check(text, out var local, out var domain);
        if (error is null)
        {
            address = new EmailAddress(local!, domain!);
        }

        return error is null;
    }

    /// <summary>A domain name as lower-case A-labels; throws <see cref="AddressFormatException"/> when invalid.</summary>
    public static string NormalizeDomain(string domain) =>
        NormaliseDomain(domain, out var ascii) is { } error ? throw new AddressFormatException(error) : ascii!;

    private static string? Check(string? text, out string? local, out string? domain)
    {
        local = null;
        domain = null;
        if (string.IsNullOrEmpty(text))
        {
            return "the address is empty";
        }

        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return "the address contains a control character";
            }
        }

        var at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
        {
            return $"'{Printable(text)}' is not an address of the form local@domain";
        }

        var localText = text[..at].Normalize(NormalizationForm.FormC);
        var domainText = text[(at + 1)..];
        var localError = CheckLocalPart(localText);
        if (localError is not null)
        {
            return localError;
        }

        var domainError = NormaliseDomain(domainText, out domain);
        if (domainError is not null)
        {
            return domainError;
        }

        local = localText;
        return null;
    }

    // RFC 5322 §3.4.1 addr-spec with dot-atom or quoted-string local parts, widened to UTF-8 by RFC 6531 §3.3.
    private static string? CheckLocalPart(string local)
    {
        if (Encoding.UTF8.GetByteCount(local) > MaxLocalPartOctets)
        {
            return $"the local part is longer than {MaxLocalPartOctets} octets (RFC 5321 §4.5.3.1.1)";
        }

        if (local.Length >= 2 && local[0] == '"' && local[^1] == '"')
        {
            for (var i = 1; i < local.Length - 1; i++)
            {
                var c = local[i];
                if (c == '\\')
                {
                    i++;
                    if (i >= local.Length - 1)
                    {
                        return "the quoted local part ends in a lone backslash";
                    }
                }
                else if (c == '"')
                {
                    return "the quoted local part contains an unescaped quote";
                }
            }

            return null;
        }

        if (local.StartsWith('.') || local.EndsWith('.') || local.Contains("..", StringComparison.Ordinal))
        {
            return $"the local part '{Printable(local)}' has a misplaced dot (RFC 5322 §3.2.3)";
        }

        foreach (var c in local)
        {
            if (!IsAtext(c) && c != '.')
            {
                return $"the local part '{Printable(local)}' contains '{Printable(c.ToString())}', which needs quoting (RFC 5322 §3.2.3)";
            }
        }

        return null;
    }

    private static string? NormaliseDomain(string text, out string? domain)
    {
        domain = null;
        if (text.StartsWith('['))
        {
            return "address literals are not accepted; use a domain name";
        }

        if (text.EndsWith('.'))
        {
            text = text[..^1];
        }

        string ascii;
        try
        {
            ascii = Idn.GetAscii(text).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return $"'{Printable(text)}' is not a valid domain name (RFC 5890)";
        }

        if (ascii.Length > MaxDomainOctets)
        {
            return $"the domain is longer than {MaxDomainOctets} octets";
        }

        foreach (var label in ascii.Split('.'))
        {
            if (label.Length == 0 || label.Length > MaxLabelOctets || label.StartsWith('-') || label.EndsWith('-'))
            {
                return $"'{Printable(text)}' is not a valid domain name (RFC 1035 §2.3.1)";
            }
        }

        domain = ascii;
        return null;
    }

    // RFC 5322 §3.2.3 atext, plus any non-ASCII character as RFC 6531 §3.3 allows.
    private static bool IsAtext(char c) =>
        c > 0x7f
        || char.IsAsciiLetterOrDigit(c)
        || "!#$%&'*+-/=?^_`{|}~".Contains(c, StringComparison.Ordinal);

    internal static string AsciiLower(string s)
    {
        var chars = s.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] is >= 'A' and <= 'Z')
            {
                chars[i] = (char)(chars[i] + 32);
            }
        }

        return new string(chars);
    }

    private static string Printable(string s) => Text.DisplayText.Escape(s, 80);

    public override string ToString() => LocalPart + "@" + Domain;

    public bool Equals(EmailAddress? other) =>
        other is not null && string.Equals(Canonical, other.Canonical, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as EmailAddress);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Canonical);
}
