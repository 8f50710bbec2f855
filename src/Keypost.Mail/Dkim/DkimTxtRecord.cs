using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.X509;

namespace Keypost.Mail.Dkim;

/// <summary>Formats the DKIM key record a verifier fetches (RFC 6376 §3.6.1).</summary>
public static class DkimTxtRecord
{
    public static string Format(AsymmetricKeyParameter publicKey) => publicKey switch
    {
        // RFC 8463 §4.2: for ed25519 p= is the bare 32-byte public key, not a SubjectPublicKeyInfo.
        Ed25519PublicKeyParameters ed => $"v=DKIM1; k=ed25519; p={Convert.ToBase64String(ed.GetEncoded())}",

        // RFC 6376 §3.6.1: for rsa p= is the DER SubjectPublicKeyInfo.
        RsaKeyParameters { IsPrivate: false } rsa =>
            $"v=DKIM1; k=rsa; p={Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(rsa).GetEncoded())}",

        _ => throw new ArgumentException($"not a DKIM public key: {publicKey.GetType().Name}", nameof(publicKey)),
    };
}
