using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Keypost.Core.PgpMime;

/// <summary>
/// One OpenPGP message that signs and encrypts (RFC 3156 §6.2, RFC 4880 §11.3):
/// PKESK... SEIPD( one-pass signature, literal data, signature, MDC ). No compression layer.
/// </summary>
internal sealed class OpenPgpSignEncrypt
{
    private const int BufferSize = 1 << 16;

    private readonly SecureRandom random;

    public OpenPgpSignEncrypt(SecureRandom random)
    {
        this.random = random;
    }

    public byte[] SignAndEncrypt(
        byte[] plaintext, PgpPrivateKey signingKey, Certificate signer, IReadOnlyList<PgpPublicKey> recipientKeys, DateTime now)
    {
        if (SeipdEncryptor.Supports(recipientKeys))
        {
            return Streamed(plaintext, signingKey, signer.ToBouncyCastle().GetPublicKey(), recipientKeys, now);
        }

        // Recipients with keys the streaming writer does not wrap session keys for (ElGamal, NIST-curve ECDH).
        using var output = new MemoryStream();
        // RFC 4880 §5.13: SEIPD with MDC; the profile's cipher (AES-256) regardless of recipients' preferences,
        // since every OpenPGP implementation must read AES-128 and all current ones read AES-256.
        var encryption = new PgpEncryptedDataGenerator(OpenPgpProfile.SecretKeyProtection, withIntegrityPacket: true, random);
        foreach (var key in recipientKeys)
        {
            encryption.AddMethod(key);
        }

        using (var encrypted = encryption.Open(output, new byte[BufferSize]))
        {
            var signature = new PgpSignatureGenerator(signingKey.PublicKeyPacket.Algorithm, OpenPgpProfile.SignatureHash);
            signature.InitSign(PgpSignature.BinaryDocument, signingKey, random);
            var hashed = new PgpSignatureSubpacketGenerator();
            hashed.SetSignatureCreationTime(false, now);
            hashed.SetIssuerFingerprint(false, signer.ToBouncyCastle().GetPublicKey());
            signature.SetHashedSubpackets(hashed.Generate());

            // RFC 4880 §5.4: the one-pass header lets a reader hash while it streams the literal data.
            signature.GenerateOnePassVersion(false).Encode(encrypted);
            var literal = new PgpLiteralDataGenerator();
            using (var literalStream = literal.Open(encrypted, PgpLiteralData.Binary, "", plaintext.Length, now))
            {
                literalStream.Write(plaintext, 0, plaintext.Length);
            }

            signature.Update(plaintext);
            signature.Generate().Encode(encrypted);
        }

        return output.ToArray();
    }

    /// <summary>
    /// Encrypts without signing (RFC 4880 §11.3: SEIPD( literal data, MDC )), for a sender that holds no secret
    /// key, such as a submission gateway. Same cipher and MDC as <see cref="SignAndEncrypt"/>, no compression.
    /// </summary>
    public byte[] Encrypt(byte[] plaintext, IReadOnlyList<PgpPublicKey> recipientKeys, DateTime now)
    {
        if (SeipdEncryptor.Supports(recipientKeys))
        {
            return Streamed(plaintext, null, null, recipientKeys, now);
        }

        using var output = new MemoryStream();
        var encryption = new PgpEncryptedDataGenerator(OpenPgpProfile.SecretKeyProtection, withIntegrityPacket: true, random);
        foreach (var key in recipientKeys)
        {
            encryption.AddMethod(key);
        }

        using (var encrypted = encryption.Open(output, new byte[BufferSize]))
        {
            var literal = new PgpLiteralDataGenerator();
            using var literalStream = literal.Open(encrypted, PgpLiteralData.Binary, "", plaintext.Length, now);
            literalStream.Write(plaintext, 0, plaintext.Length);
        }

        return output.ToArray();
    }

    // The same packets through .NET's AES and SHA-1 (SeipdEncryptor); a MemoryStream completes synchronously.
    private byte[] Streamed(
        byte[] plaintext, PgpPrivateKey? signingKey, PgpPublicKey? signerPrimary, IReadOnlyList<PgpPublicKey> recipientKeys, DateTime now)
    {
        using var output = new MemoryStream(plaintext.Length + 1024);
        using (var encrypted = SeipdEncryptor.Open(output, recipientKeys, random))
        {
            SeipdEncryptor.WriteLiteralAsync(encrypted, new MemoryStream(plaintext, false), signingKey, signerPrimary, now, random, parallel: false, CancellationToken.None)
                .GetAwaiter().GetResult();
        }

        return output.ToArray();
    }
}
