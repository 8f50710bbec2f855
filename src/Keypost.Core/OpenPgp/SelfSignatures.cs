using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp;

/// <summary>
/// Finds and verifies signatures made by the primary key itself. Signatures are filtered by issuer before any
/// cryptography, so a key flooded with third-party certifications costs no verification; at most
/// <see cref="MaxCandidates"/> claimed self-signatures are verified per component, newest first, so a flood of
/// forged "self-signatures" costs a bounded amount too.
/// </summary>
internal static class SelfSignatures
{
    public const int MaxCandidates = 16;

    public static bool IsIssuedBy(PgpSignature signature, PgpPublicKey key, byte[] fingerprint)
    {
        if (signature.KeyId == key.KeyId)
        {
            return true;
        }

        // RFC 9580 §5.2.3.35: a signature may name its issuer by fingerprint only.
        var issuer = signature.GetHashedSubPackets()?.GetIssuerFingerprint();
        return issuer is not null && issuer.GetFingerprint().AsSpan().SequenceEqual(fingerprint);
    }

    /// <summary>Self-signatures of the given types, newest first, at most <see cref="MaxCandidates"/>.</summary>
    public static List<PgpSignature> Candidates(
        IEnumerable<PgpSignature> signatures, PgpPublicKey primary, byte[] fingerprint, params int[] types) =>
        signatures
            .Where(s => types.Contains(s.SignatureType) && IsIssuedBy(s, primary, fingerprint))
            .OrderByDescending(s => s.CreationTime)
            .Take(MaxCandidates)
            .ToList();

    public static bool VerifyUserId(PgpSignature signature, string userId, PgpPublicKey primary) =>
        Safely(() =>
        {
            signature.InitVerify(primary);
            return signature.VerifyCertification(userId, primary);
        });

    /// <summary>A certification by another key (<paramref name="signer"/>) on a user ID of <paramref name="key"/>.</summary>
    public static bool VerifyThirdParty(PgpSignature signature, string userId, PgpPublicKey key, PgpPublicKey signer) =>
        Safely(() =>
        {
            signature.InitVerify(signer);
            return signature.VerifyCertification(userId, key);
        });

    /// <summary>Direct-key and key revocation signatures (RFC 4880 §5.2.4: hash of the primary key only).</summary>
    public static bool VerifyOnKey(PgpSignature signature, PgpPublicKey primary) =>
        Safely(() =>
        {
            signature.InitVerify(primary);
            return signature.VerifyCertification(primary);
        });

    /// <summary>Subkey binding and subkey revocation signatures (RFC 4880 §5.2.4: primary then subkey).</summary>
    public static bool VerifyBinding(PgpSignature signature, PgpPublicKey primary, PgpPublicKey subkey) =>
        Safely(() =>
        {
            signature.InitVerify(primary);
            return signature.VerifyCertification(primary, subkey);
        });

    public static DateTimeOffset? KeyExpiry(PgpSignature? signature, DateTimeOffset keyCreated)
    {
        var hashed = signature?.GetHashedSubPackets();
        if (hashed is null || !hashed.HasKeyExpirationTime())
        {
            return null;
        }

        // RFC 4880 §5.2.3.6: seconds after key creation; zero means it never expires.
        var seconds = hashed.GetKeyExpirationTime();
        return seconds == 0 ? null : keyCreated.AddSeconds(seconds);
    }

    public static string HashName(HashAlgorithmTag hash) => hash switch
    {
        HashAlgorithmTag.MD5 => "MD5",
        HashAlgorithmTag.Sha1 => "SHA-1",
        HashAlgorithmTag.RipeMD160 => "RIPEMD-160",
        HashAlgorithmTag.Sha224 => "SHA-224",
        HashAlgorithmTag.Sha256 => "SHA-256",
        HashAlgorithmTag.Sha384 => "SHA-384",
        HashAlgorithmTag.Sha512 => "SHA-512",
        HashAlgorithmTag.Sha3_256 => "SHA3-256",
        HashAlgorithmTag.Sha3_512 => "SHA3-512",
        _ => "hash " + (int)hash,
    };

    public static bool IsWeakHash(HashAlgorithmTag hash) =>
        hash is HashAlgorithmTag.MD5 or HashAlgorithmTag.Sha1 or HashAlgorithmTag.RipeMD160;

    // A malformed or unsupported signature is an invalid signature, not a crash: BouncyCastle reports those with
    // a variety of exception types.
    private static bool Safely(Func<bool> verify)
    {
        try
        {
            return verify();
        }
        catch (Exception e) when (e is PgpException or IOException or ArgumentException or InvalidOperationException
                                      or NotSupportedException or NotImplementedException or InvalidCastException
                                      or IndexOutOfRangeException or NullReferenceException
                                      or Org.BouncyCastle.Crypto.CryptoException)
        {
            return false;
        }
    }
}
