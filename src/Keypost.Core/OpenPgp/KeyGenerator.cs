using System.Text;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Keypost.Core.OpenPgp;

/// <summary>Generates v4 keys as <see cref="OpenPgpProfile"/> describes: Ed25519 certify+sign, Curve25519 encrypt.</summary>
public sealed class KeyGenerator
{
    private readonly TimeProvider time;
    private readonly SecureRandom random;

    public KeyGenerator(TimeProvider? time = null, SecureRandom? random = null)
    {
        this.time = time ?? TimeProvider.System;
        this.random = random ?? new SecureRandom();
    }

    public SecretKey Generate(KeyGenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var userId = request.UserId;
        var created = DateTimeOffset.FromUnixTimeSeconds((request.CreatedAt ?? time.GetUtcNow()).ToUnixTimeSeconds()).UtcDateTime;
        if (request.Validity is { } v && v < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("the validity must be at least one second, or null for never");
        }

        var primary = new PgpKeyPair(OpenPgpProfile.PrimaryAlgorithm, Ed25519Pair(), created);
        var encryption = new PgpKeyPair(OpenPgpProfile.EncryptionAlgorithm, X25519Pair(), created);
        var protect = request.Passphrase.Length > 0;

        var generator = new PgpKeyRingGenerator(
            PgpSignature.PositiveCertification,
            primary,
            userId,
            protect ? OpenPgpProfile.SecretKeyProtection : SymmetricKeyAlgorithmTag.Null,
            OpenPgpProfile.SignatureHash,
            Encoding.UTF8.GetBytes(request.Passphrase),
            // RFC 4880 §5.5.3: an unprotected key carries the two-octet checksum; the SHA-1 check is only for
            // encrypted secrets (usage 254). GnuPG refuses an unprotected key with a SHA-1 check.
            protect,
            PrimarySubpackets(primary.PublicKey, request.Validity),
            null,
            random);
        generator.AddSubKey(
            encryption,
            SubkeySubpackets(primary.PublicKey, request.Validity),
            null,
            OpenPgpProfile.SignatureHash);

        // A freshly generated ring encodes the subkey's public part as a primary key until re-parsed.
        var ring = new PgpSecretKeyRing(generator.GenerateSecretKeyRing().GetEncoded());
        return new SecretKey(ring);
    }

    private Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair Ed25519Pair()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(random));
        return generator.GenerateKeyPair();
    }

    private Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair X25519Pair()
    {
        var generator = new X25519KeyPairGenerator();
        generator.Init(new X25519KeyGenerationParameters(random));
        return generator.GenerateKeyPair();
    }

    // RFC 4880 §5.2.3: preferences live on the user ID self-signature, where GnuPG reads them.
    private static PgpSignatureSubpacketVector PrimarySubpackets(PgpPublicKey primary, TimeSpan? validity)
    {
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetIssuerFingerprint(false, primary);
        hashed.SetKeyFlags(false, OpenPgpProfile.PrimaryKeyFlags);
        hashed.SetPreferredSymmetricAlgorithms(false, OpenPgpProfile.PreferredSymmetric());
        hashed.SetPreferredHashAlgorithms(false, OpenPgpProfile.PreferredHashes());
        hashed.SetPreferredCompressionAlgorithms(false, OpenPgpProfile.PreferredCompression());
        hashed.SetFeature(false, OpenPgpProfile.Features);
        hashed.SetPrimaryUserId(false, true);
        SetExpiry(hashed, validity);
        return hashed.Generate();
    }

    // Renewal (KeyLifecycle.Extend): the same subpackets, an expiry in seconds after key creation, a creation time.
    internal static PgpSignatureSubpacketVector PrimarySubpackets(PgpPublicKey primary, long? expirySeconds, DateTime created)
    {
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, created);
        hashed.SetIssuerFingerprint(false, primary);
        hashed.SetKeyFlags(false, OpenPgpProfile.PrimaryKeyFlags);
        hashed.SetPreferredSymmetricAlgorithms(false, OpenPgpProfile.PreferredSymmetric());
        hashed.SetPreferredHashAlgorithms(false, OpenPgpProfile.PreferredHashes());
        hashed.SetPreferredCompressionAlgorithms(false, OpenPgpProfile.PreferredCompression());
        hashed.SetFeature(false, OpenPgpProfile.Features);
        hashed.SetPrimaryUserId(false, true);
        if (expirySeconds is { } seconds)
        {
            hashed.SetKeyExpirationTime(false, seconds);
        }

        return hashed.Generate();
    }

    internal static PgpSignatureSubpacketVector SubkeySubpackets(PgpPublicKey primary, long? expirySeconds, DateTime created)
    {
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, created);
        hashed.SetIssuerFingerprint(false, primary);
        hashed.SetKeyFlags(false, OpenPgpProfile.EncryptionKeyFlags);
        if (expirySeconds is { } seconds)
        {
            hashed.SetKeyExpirationTime(false, seconds);
        }

        return hashed.Generate();
    }

    private static PgpSignatureSubpacketVector SubkeySubpackets(PgpPublicKey primary, TimeSpan? validity)
    {
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetIssuerFingerprint(false, primary);
        hashed.SetKeyFlags(false, OpenPgpProfile.EncryptionKeyFlags);
        SetExpiry(hashed, validity);
        return hashed.Generate();
    }

    // RFC 4880 §5.2.3.6: seconds after key creation; absent means never.
    private static void SetExpiry(PgpSignatureSubpacketGenerator hashed, TimeSpan? validity)
    {
        if (validity is { } v)
        {
            hashed.SetKeyExpirationTime(false, (long)v.TotalSeconds);
        }
    }
}
