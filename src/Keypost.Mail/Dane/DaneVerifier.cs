using System.Security.Cryptography.X509Certificates;

namespace Keypost.Mail.Dane;

/// <summary>
/// In charge of DANE: checking a server's certificate against its TLSA records.
/// RFC 7672 §3: checks a server's certificate chain against the usable TLSA records of its MX host. DANE-EE(3)
/// matches the leaf alone (no name or expiry check, §3.1.1); DANE-TA(2) needs the leaf to chain to a matching
/// certificate the server sent and to carry one of the reference names (§3.1.2, §3.2.2).
/// </summary>
internal static class DaneVerifier
{
    /// <summary>Null when the chain is authenticated, otherwise why not (for the log, the DSN and TLS-RPT).</summary>
    public static string? Verify(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> presented, IReadOnlyList<TlsaAssociation> records, IReadOnlyList<string> referenceNames)
    {
        var usable = records.Where(r => r.IsUsable).ToList();
        if (usable.Any(r => r.Usage == TlsaAssociation.DaneEe && r.Matches(leaf)))
        {
            return null;
        }

        foreach (var anchor in usable.Where(r => r.Usage == TlsaAssociation.DaneTa))
        {
            // RFC 7672 §3.1.2: the trust anchor must be in the chain the server presents (it is not published in full).
            var candidate = presented.FirstOrDefault(anchor.Matches);
            if (candidate is null || !ChainsTo(leaf, candidate, presented))
            {
                continue;
            }

            return CertificateNames.Matches(leaf, referenceNames)
                ? null
                : $"certificate names ({string.Join(", ", CertificateNames.DnsNames(leaf))}) do not match {string.Join(" or ", referenceNames)}";
        }

        return "no TLSA record matches the server's certificate chain";
    }

    private static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 anchor, IReadOnlyList<X509Certificate2> presented)
    {
        if (leaf.RawDataMemory.Span.SequenceEqual(anchor.RawDataMemory.Span))
        {
            return true;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(anchor);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        foreach (var certificate in presented)
        {
            chain.ChainPolicy.ExtraStore.Add(certificate);
        }

        var built = chain.Build(leaf);
        var reachesAnchor = chain.ChainElements.Any(e => e.Certificate.RawDataMemory.Span.SequenceEqual(anchor.RawDataMemory.Span));
        if (built && reachesAnchor)
        {
            return true;
        }

        // An intermediate as trust anchor is not self-signed, so the platform reports a partial chain; that is fine
        // for DANE-TA as long as nothing else is wrong on the way up to it (RFC 7671 §5.2.2).
        const X509ChainStatusFlags anchorOnly = X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot;
        return reachesAnchor && chain.ChainStatus.All(s => (s.Status & ~anchorOnly) == X509ChainStatusFlags.NoError);
    }
}
