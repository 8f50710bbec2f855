using System.Security.Cryptography.X509Certificates;

namespace Keypost.Mail.Dane;

/// <summary>Host-name checks on a server certificate (RFC 6125 §6.4): subjectAltName DNS names, one leading wildcard label.</summary>
internal static class CertificateNames
{
    public static bool Matches(X509Certificate2 certificate, IEnumerable<string> referenceNames)
    {
        var names = DnsNames(certificate);
        return referenceNames.Any(reference => names.Any(name => NameMatches(name, reference)));
    }

    public static IReadOnlyList<string> DnsNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
            }
        }

        if (names.Count == 0)
        {
            // RFC 7672 §3.2.3 lets SMTP clients fall back to the CN when there are no DNS subjectAltNames.
            var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            if (!string.IsNullOrEmpty(cn))
            {
                names.Add(cn);
            }
        }

        return names;
    }

    private static bool NameMatches(string presented, string reference)
    {
        presented = presented.TrimEnd('.');
        reference = reference.TrimEnd('.');
        if (string.Equals(presented, reference, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // RFC 6125 §6.4.3: "*" as the whole left-most label matches exactly one label.
        if (!presented.StartsWith("*.", StringComparison.Ordinal))
        {
            return false;
        }

        var dot = reference.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && string.Equals(presented[1..], reference[dot..], StringComparison.OrdinalIgnoreCase);
    }
}
