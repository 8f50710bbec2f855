using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.Sig;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// The one place that fixes the OpenPGP format Keypost produces. BouncyCastle 2.7 and GnuPG 2.2 read neither v6
/// keys nor SEIPDv2 (RFC 9580 §5.13.2), so keys are v4 with legacy EdDSA/ECDH and encryption is SEIPDv1 with MDC.
/// Moving to RFC 9580 v6 later means changing this class (and the generator that reads it), nothing else.
/// </summary>
public static class OpenPgpProfile
{
    /// <summary>Key packet version (RFC 4880 §5.5.2).</summary>
    public const int KeyVersion = 4;

    /// <summary>Primary key: Ed25519 in the legacy EdDSA encoding (algorithm 22).</summary>
    public const PublicKeyAlgorithmTag PrimaryAlgorithm = PublicKeyAlgorithmTag.EdDsa_Legacy;

    /// <summary>Encryption subkey: Curve25519 in the legacy ECDH encoding (algorithm 18).</summary>
    public const PublicKeyAlgorithmTag EncryptionAlgorithm = PublicKeyAlgorithmTag.ECDH;

    /// <summary>Hash for self-signatures and binding signatures.</summary>
    public const HashAlgorithmTag SignatureHash = HashAlgorithmTag.Sha512;

    /// <summary>
    /// Hash for signatures over streamed documents (the data of an encrypted message). SHA-256: RFC 9580 §9.5
    /// makes it the one every implementation must read, it matches Ed25519's 128-bit security level, it is what
    /// GnuPG 2.2 signs with by default, and with the CPU's SHA extensions it runs about three times as fast as
    /// SHA-512 (1.5 GB/s against 0.56 GB/s, `openssl speed` on the benchmark machine), which is most of the
    /// signing cost of a large message.
    /// </summary>
    public const HashAlgorithmTag DocumentSignatureHash = HashAlgorithmTag.Sha256;

    /// <summary>Cipher protecting secret key material (with iterated and salted S2K, RFC 4880 §3.7.1.3).</summary>
    public const SymmetricKeyAlgorithmTag SecretKeyProtection = SymmetricKeyAlgorithmTag.Aes256;

    /// <summary>RFC 4880 §5.2.3.21: certify and sign on the primary.</summary>
    public const int PrimaryKeyFlags = KeyFlags.CertifyOther | KeyFlags.SignData;

    /// <summary>RFC 4880 §5.2.3.21: both encryption purposes on the subkey.</summary>
    public const int EncryptionKeyFlags = KeyFlags.EncryptComms | KeyFlags.EncryptStorage;

    /// <summary>RFC 4880 §5.2.3.24: MDC (SEIPDv1) only; SEIPDv2 is left out until the profile moves to v6.</summary>
    public static byte Features => Org.BouncyCastle.Bcpg.Sig.Features.FEATURE_MODIFICATION_DETECTION;

    /// <summary>Default validity of a new key.</summary>
    public static TimeSpan DefaultValidity => TimeSpan.FromDays(2 * 365);

    /// <summary>RFC 4880 §5.2.3.7, most preferred first.</summary>
    public static int[] PreferredSymmetric() =>
        [(int)SymmetricKeyAlgorithmTag.Aes256, (int)SymmetricKeyAlgorithmTag.Aes128];

    /// <summary>RFC 4880 §5.2.3.8, most preferred first.</summary>
    public static int[] PreferredHashes() => [(int)HashAlgorithmTag.Sha512, (int)HashAlgorithmTag.Sha256];

    /// <summary>RFC 4880 §5.2.3.9: uncompressed first (compression leaks through length and invites bombs).</summary>
    public static int[] PreferredCompression() =>
        [(int)CompressionAlgorithmTag.Uncompressed, (int)CompressionAlgorithmTag.ZLib];
}
