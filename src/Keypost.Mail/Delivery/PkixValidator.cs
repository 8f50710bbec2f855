using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.Mail.Delivery;

/// <summary>
/// Web PKI certificate checks (RFC 8461 §4.2: a chain to a trusted root, the host name in the certificate, not
/// expired), with the system's roots or, when configured, extra roots (a private CA; the tests' throw-away CA).
/// </summary>
internal sealed class PkixValidator(X509Certificate2Collection? extraRoots)
{
    /// <summary>Null when valid, otherwise why not. <paramref name="errors"/> is what the platform found against the system roots.</summary>
    public string? Check(X509Certificate2 leaf, X509Chain? presented, SslPolicyErrors errors, string host)
    {
        if (errors == SslPolicyErrors.None)
        {
            return null;
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return "no certificate presented";
        }

        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || !Dane.CertificateNames.Matches(leaf, [host]))
        {
            return $"certificate-host-mismatch: certificate names ({string.Join(", ", Dane.CertificateNames.DnsNames(leaf))}) do not match {host}";
        }

        if (extraRoots is not { Count: > 0 })
        {
            return "certificate chain does not validate: " + Describe(presented);
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(extraRoots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(leaf) ? null : "certificate chain does not validate: " + Describe(chain);
    }

    private static string Describe(X509Chain? chain)
    {
        var statuses = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToList() ?? [];
        return statuses.Count > 0 ? string.Join(", ", statuses) : "untrusted";
    }
}
