using Keypost.Core.OpenPgp;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace Keypost.Testing.OpenPgp;

/// <summary>
/// Builds keys Keypost itself would never make (weak, old, revoked, flooded) straight with BouncyCastle, to test
/// that parsing and policy refuse them.
/// </summary>
public static class TestKeys
{
    private static readonly DateTime Now = DateTime.UtcNow.AddMinutes(-1);

    public static PgpKeyPair Ed25519(DateTime? created = null)
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        return new PgpKeyPair(PublicKeyAlgorithmTag.EdDsa_Legacy, generator.GenerateKeyPair(), Trim(created ?? Now));
    }

    public static PgpKeyPair X25519(DateTime? created = null)
    {
        var generator = new X25519KeyPairGenerator();
        generator.Init(new X25519KeyGenerationParameters(new SecureRandom()));
        return new PgpKeyPair(PublicKeyAlgorithmTag.ECDH, generator.GenerateKeyPair(), Trim(created ?? Now));
    }

    public static PgpKeyPair Rsa(int bits)
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(65537), new SecureRandom(), bits, 80));
        return new PgpKeyPair(PublicKeyAlgorithmTag.RsaGeneral, generator.GenerateKeyPair(), Trim(Now));
    }

    public static PgpKeyPair Dsa()
    {
        var parameters = new DsaParametersGenerator();
        parameters.Init(1024, 80, new SecureRandom());
        var generator = new DsaKeyPairGenerator();
        generator.Init(new DsaKeyGenerationParameters(new SecureRandom(), parameters.GenerateParameters()));
        return new PgpKeyPair(PublicKeyAlgorithmTag.Dsa, generator.GenerateKeyPair(), Trim(Now));
    }

    /// <summary>A certificate with one user ID and one encryption subkey, self-signed with <paramref name="hash"/>.</summary>
    public static PgpPublicKeyRing Build(
        PgpKeyPair primary, PgpKeyPair? subkey, string userId, HashAlgorithmTag hash = HashAlgorithmTag.Sha256)
    {
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetKeyFlags(false, Org.BouncyCastle.Bcpg.Sig.KeyFlags.CertifyOther | Org.BouncyCastle.Bcpg.Sig.KeyFlags.SignData);
        var generator = new PgpKeyRingGenerator(
            PgpSignature.PositiveCertification, primary, userId, SymmetricKeyAlgorithmTag.Null, hash,
            Array.Empty<byte>(), true, hashed.Generate(), null, new SecureRandom());
        if (subkey is not null)
        {
            var subHashed = new PgpSignatureSubpacketGenerator();
            subHashed.SetKeyFlags(false, Org.BouncyCastle.Bcpg.Sig.KeyFlags.EncryptComms | Org.BouncyCastle.Bcpg.Sig.KeyFlags.EncryptStorage);
            generator.AddSubKey(subkey, subHashed.Generate(), null, hash);
        }

        return new PgpPublicKeyRing(generator.GeneratePublicKeyRing().GetEncoded());
    }

    /// <summary>Adds a self-certified user ID.</summary>
    public static PgpPublicKeyRing AddUserId(PgpPublicKeyRing ring, PgpKeyPair primary, string userId)
    {
        var signature = Sign(primary, PgpSignature.PositiveCertification, g => g.GenerateCertification(userId, ring.GetPublicKey()));
        var key = PgpPublicKey.AddCertification(ring.GetPublicKey(), userId, signature);
        return PgpPublicKeyRing.InsertPublicKey(ring, key);
    }

    /// <summary>Adds a self-certified user attribute (a tiny "photo").</summary>
    public static PgpPublicKeyRing AddPhoto(PgpPublicKeyRing ring, PgpKeyPair primary)
    {
        var attributes = new PgpUserAttributeSubpacketVectorGenerator();
        attributes.SetImageAttribute(Org.BouncyCastle.Bcpg.Attr.ImageAttrib.Format.Jpeg, [0xff, 0xd8, 0xff, 0xd9]);
        var vector = attributes.Generate();
        var signature = Sign(primary, PgpSignature.PositiveCertification, g => g.GenerateCertification(vector, ring.GetPublicKey()));
        return PgpPublicKeyRing.InsertPublicKey(ring, PgpPublicKey.AddCertification(ring.GetPublicKey(), vector, signature));
    }

    public static PgpPublicKeyRing Revoke(PgpPublicKeyRing ring, PgpKeyPair primary)
    {
        var signature = Sign(primary, PgpSignature.KeyRevocation, g => g.GenerateCertification(ring.GetPublicKey()));
        return PgpPublicKeyRing.InsertPublicKey(ring, PgpPublicKey.AddCertification(ring.GetPublicKey(), signature));
    }

    /// <summary>A third-party certification of <paramref name="userId"/> by <paramref name="signer"/>.</summary>
    public static PgpSignature Certify(PgpKeyPair signer, PgpPublicKey key, string userId) =>
        Sign(signer, PgpSignature.DefaultCertification, g => g.GenerateCertification(userId, key));

    /// <summary>
    /// The certificate with <paramref name="count"/> third-party certifications on its first user ID, encoded packet
    /// by packet (adding them one at a time through BouncyCastle copies the list each time).
    /// </summary>
    public static byte[] Flood(PgpPublicKeyRing ring, IReadOnlyList<PgpKeyPair> signers, int count)
    {
        var primary = ring.GetPublicKey();
        var userId = primary.GetUserIds().First();
        using var buffer = new MemoryStream();
        using (var output = new BcpgOutputStream(buffer))
        {
            primary.PublicKeyPacket.Encode(output);
            new UserIdPacket(userId).Encode(output);
            foreach (var signature in primary.GetSignaturesForId(userId))
            {
                signature.Encode(output);
            }

            for (var i = 0; i < count; i++)
            {
                Certify(signers[i % signers.Count], primary, userId).Encode(output);
            }

            foreach (var subkey in ring.GetPublicKeys().Where(k => !k.IsMasterKey))
            {
                subkey.PublicKeyPacket.Encode(output);
                foreach (var signature in subkey.GetSignatures())
                {
                    signature.Encode(output);
                }
            }
        }

        return buffer.ToArray();
    }

    public static Certificate Parse(PgpPublicKeyRing ring) => Certificate.Parse(ring.GetEncoded());

    private static PgpSignature Sign(PgpKeyPair signer, int type, Func<PgpSignatureGenerator, PgpSignature> make)
    {
        var generator = new PgpSignatureGenerator(signer.PublicKey.Algorithm, HashAlgorithmTag.Sha256);
        generator.InitSign(type, signer.PrivateKey);
        var hashed = new PgpSignatureSubpacketGenerator();
        hashed.SetSignatureCreationTime(false, DateTime.UtcNow);
        hashed.SetIssuerFingerprint(false, signer.PublicKey);
        generator.SetHashedSubpackets(hashed.Generate());
        return make(generator);
    }

    private static DateTime Trim(DateTime time) => DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(time).ToUnixTimeSeconds()).UtcDateTime;
}
