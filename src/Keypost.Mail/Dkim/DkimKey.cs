using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Keypost.Mail.Dkim;

/// <summary>One signing key of a domain, with what must be published in DNS for it.</summary>
public sealed record DkimKey(
    string Domain,
    string Selector,
    DkimSignatureAlgorithm Algorithm,
    AsymmetricKeyParameter PrivateKey,
    AsymmetricKeyParameter PublicKey)
{
    /// <summary>The owner name of the TXT record (RFC 6376 §3.6.2.1).</summary>
    public string DnsName => $"{Selector}._domainkey.{Domain}";

    /// <summary>The TXT record text, e.g. <c>v=DKIM1; k=ed25519; p=...</c>.</summary>
    public string TxtRecord => DkimTxtRecord.Format(PublicKey);
}
