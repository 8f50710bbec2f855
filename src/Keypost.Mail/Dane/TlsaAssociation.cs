using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Keypost.Mail.Dane;

/// <summary>One TLSA record's fields (RFC 6698 §2.1): certificate usage, selector, matching type and data.</summary>
public sealed record TlsaAssociation(byte Usage, byte Selector, byte MatchingType, byte[] Data)
{
    /// <summary>RFC 7672 §3.1.1: DANE-EE, the server's own certificate or key.</summary>
    public const byte DaneEe = 3;

    /// <summary>RFC 7672 §3.1.2: DANE-TA, a trust anchor the server's chain leads to.</summary>
    public const byte DaneTa = 2;

    /// <summary>
    /// RFC 7672 §3.1.3: SMTP clients use only DANE-TA(2) and DANE-EE(3) with selectors Cert(0)/SPKI(1) and matching
    /// types Full(0), SHA2-256(1), SHA2-512(2); records with anything else are unusable.
    /// </summary>
    public bool IsUsable => Usage is DaneEe or DaneTa && Selector is 0 or 1 && MatchingType is 0 or 1 or 2;

    /// <summary>Whether <paramref name="certificate"/> is the one this record names (RFC 6698 §2.1.2, §2.1.3).</summary>
    public bool Matches(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var selected = Selector == 0 ? certificate.RawData : certificate.PublicKey.ExportSubjectPublicKeyInfo();
        var digest = MatchingType switch
        {
            0 => selected,
            1 => SHA256.HashData(selected),
            2 => SHA512.HashData(selected),
            _ => null,
        };
        return digest is not null && CryptographicOperations.FixedTimeEquals(digest, Data);
    }

    /// <summary>The record in zone-file presentation form (RFC 6698 §2.2), e.g. for <c>keypost dns-records</c>.</summary>
    public string ToPresentation() => $"{Usage} {Selector} {MatchingType} {Convert.ToHexStringLower(Data)}";

    /// <summary>A DANE-EE(3) SPKI(1) SHA2-256(1) record for a certificate: survives renewals that keep the key (RFC 7671 §8.1).</summary>
    public static TlsaAssociation EndEntitySpkiSha256(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return new TlsaAssociation(DaneEe, 1, 1, SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()));
    }
}
