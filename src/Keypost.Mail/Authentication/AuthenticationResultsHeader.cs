using System.Text;
using System.Text.RegularExpressions;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Spf;
using MimeKit;

namespace Keypost.Mail.Authentication;

/// <summary>Writes and cleans Authentication-Results header fields (RFC 8601).</summary>
public static partial class AuthenticationResultsHeader
{
    public const string FieldName = "Authentication-Results";

    /// <summary>
    /// The field value, e.g. <c>mx.jedi.test; dkim=pass header.d=rebel.test header.s=kp-ed header.b=abcd1234;
    /// spf=pass smtp.mailfrom=leia@rebel.test; dmarc=pass header.from=rebel.test</c>.
    /// </summary>
    public static string Build(string authservId, IReadOnlyList<DkimSignatureResult> dkim, SpfCheckResult spf, DmarcCheckResult dmarc)
    {
        var parts = new List<string> { authservId };
        if (dkim.Count == 0)
        {
            parts.Add("dkim=none");
        }

        foreach (var d in dkim)
        {
            // RFC 8601 §2.7.1 / RFC 6008: header.d, header.s and the first 8 characters of b= identify the signature.
            var entry = new StringBuilder("dkim=").Append(Lower(d.Result));
            AppendProperty(entry, "header.d", d.Domain);
            AppendProperty(entry, "header.s", d.Selector);
            AppendProperty(entry, "header.b", d.SignaturePrefix);
            parts.Add(entry.ToString());
        }

        var spfEntry = new StringBuilder("spf=").Append(Lower(spf.Result));
        AppendProperty(spfEntry, spf.Identity == SpfIdentity.Helo ? "smtp.helo" : "smtp.mailfrom", spf.Identity == SpfIdentity.Helo ? spf.Domain : spf.Sender);
        parts.Add(spfEntry.ToString());

        var dmarcEntry = new StringBuilder("dmarc=").Append(Lower(dmarc.Result));
        AppendProperty(dmarcEntry, "header.from", dmarc.FromDomain);
        parts.Add(dmarcEntry.ToString());

        return string.Join("; ", parts);
    }

    /// <summary>The whole header line, folded between results, ending in CRLF: ready to prepend to the message.</summary>
    public static string ToHeaderLine(string value) => FieldName + ": " + value.Replace("; ", ";\r\n\t", StringComparison.Ordinal) + "\r\n";

    /// <summary>
    /// RFC 8601 §5: removes every Authentication-Results field that claims our authserv-id (a forgery, or left from
    /// an earlier hop of ours), before we add our own. Returns how many were removed.
    /// </summary>
    public static int RemoveClaims(HeaderList headers, string authservId)
    {
        var ours = headers
            .Where(h => h.Field.Equals(FieldName, StringComparison.OrdinalIgnoreCase))
            .Where(h => string.Equals(AuthservIdOf(h.Value), authservId, StringComparison.OrdinalIgnoreCase))
            .ToList();
        foreach (var header in ours)
        {
            headers.Remove(header);
        }

        return ours.Count;
    }

    /// <summary>The authserv-id an Authentication-Results value starts with, skipping comments (RFC 8601 §2.2).</summary>
    public static string? AuthservIdOf(string value)
    {
        var match = AuthservId().Match(value);
        return match.Success ? match.Groups["id"].Value : null;
    }

    private static void AppendProperty(StringBuilder entry, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            entry.Append(' ').Append(name).Append('=').Append(Quote(value));
        }
    }

    /// <summary>RFC 8601 §2.2: a pvalue is an RFC 2045 token, an addr-spec, or else a quoted-string.</summary>
    private static string Quote(string value) =>
        Token().IsMatch(value) || AddrSpec().IsMatch(value)
            ? value
            : "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    [GeneratedRegex(@"^(?:\s|\([^)]*\))*(?<id>[^\s;()]+)")]
    private static partial Regex AuthservId();

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+\-.^_`{|}~]+$")]
    private static partial Regex Token();

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")]
    private static partial Regex AddrSpec();
}
