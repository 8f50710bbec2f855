using System.Text;
using System.Text.RegularExpressions;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dmarc;
using Keypost.Mail.Spf;
using MimeKit;
using MimeKit.Cryptography;

namespace Keypost.Mail.Authentication;

/// <summary>Writes (with MimeKit's <see cref="AuthenticationResults"/>) and cleans Authentication-Results header fields (RFC 8601).</summary>
public static partial class AuthenticationResultsHeader
{
    public const string FieldName = "Authentication-Results";

    /// <summary>
    /// The field value, e.g. <c>mx.jedi.test; dkim=pass header.d=rebel.test header.s=kp-ed header.b=abcd1234;
    /// spf=pass smtp.mailfrom="leia@rebel.test"; dmarc=pass header.from=rebel.test</c>.
    /// </summary>
    public static string Build(string authservId, IReadOnlyList<DkimSignatureResult> dkim, SpfCheckResult spf, DmarcCheckResult dmarc)
    {
        // MimeKit's AuthenticationResults writes the RFC 8601 §2.2 syntax (pvalue quoting included).
        var results = new AuthenticationResults(authservId);
        if (dkim.Count == 0)
        {
            results.Results.Add(new AuthenticationMethodResult("dkim", "none"));
        }

        foreach (var d in dkim)
        {
            // RFC 8601 §2.7.1 / RFC 6008: header.d, header.s and the first 8 characters of b= identify the signature.
            var entry = new AuthenticationMethodResult("dkim", Lower(d.Result));
            AddProperty(entry, "header", "d", d.Domain);
            AddProperty(entry, "header", "s", d.Selector);
            AddProperty(entry, "header", "b", d.SignaturePrefix);
            results.Results.Add(entry);
        }

        var spfEntry = new AuthenticationMethodResult("spf", Lower(spf.Result));
        AddProperty(spfEntry, "smtp", spf.Identity == SpfIdentity.Helo ? "helo" : "mailfrom", spf.Identity == SpfIdentity.Helo ? spf.Domain : spf.Sender);
        results.Results.Add(spfEntry);

        var dmarcEntry = new AuthenticationMethodResult("dmarc", Lower(dmarc.Result));
        AddProperty(dmarcEntry, "header", "from", dmarc.FromDomain);
        results.Results.Add(dmarcEntry);

        return results.ToString();
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
        // MimeKit's parser first; a value it cannot parse whole (a forgery need not be well-formed) still claims
        // the id its first word names.
        if (AuthenticationResults.TryParse(Encoding.UTF8.GetBytes(value), out var parsed) && parsed.AuthenticationServiceIdentifier is { } id)
        {
            return id;
        }

        var match = AuthservId().Match(value);
        return match.Success ? match.Groups["id"].Value : null;
    }

    private static void AddProperty(AuthenticationMethodResult entry, string ptype, string property, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            // RFC 8601 §2.2: MimeKit quotes what is not a token; an address becomes a quoted-string, which the
            // grammar allows as well as a bare addr-spec.
            entry.Properties.Add(new AuthenticationMethodProperty(ptype, property, value));
        }
    }

    private static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    [GeneratedRegex(@"^(?:\s|\([^)]*\))*(?<id>[^\s;()]+)")]
    private static partial Regex AuthservId();
}
