using System.Security.Cryptography;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.OpenPgp.Streaming;
using Keypost.Core.PgpMime;
using Microsoft.Extensions.Time.Testing;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Security;

namespace Keypost.Core.Tests.OpenPgp;

/// <summary>
/// Issue #14: the streaming signer hashes with .NET's IncrementalHash and writes the v4 signature itself
/// (RFC 4880 §5.2.3-5.2.4); the verifier does the same. Both are checked against BouncyCastle's own reference
/// one-pass generator and verifier, in both directions (gpg is the other reference: StreamingGpgTests).
/// </summary>
public sealed class StreamingSignatureTests
{
    private static readonly SecretKey Leia = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
    private static readonly SecretKey Luke = new KeyGenerator().Generate(new KeyGenerationRequest(EmailAddress.Parse("luke@jedi.test")));

    // Over several 64 KiB partial-length chunks, and not a multiple of the AES block.
    private readonly byte[] plaintext = RandomNumberGenerator.GetBytes(300_001);

    [Fact]
    public async Task Keypost_signature_verifies_with_BouncyCastles_reference_verifier()
    {
        using var encrypted = new MemoryStream();
        var signedAt = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        await new StreamingOpenPgp(time: new FakeTimeProvider(signedAt)).EncryptAsync(
            new MemoryStream(plaintext), encrypted, [Luke.Certificate], Leia.Unlock(""), armor: false, CancellationToken.None);

        var inside = BouncyCastleDecrypt(encrypted.ToArray(), Luke.Unlock(""));
        var onePass = Assert.IsType<PgpOnePassSignatureList>(inside.NextPgpObject())[0];
        var literal = Assert.IsType<PgpLiteralData>(inside.NextPgpObject());
        onePass.InitVerify(Leia.Certificate.ToBouncyCastle().GetPublicKey(onePass.KeyId));
        using var data = new MemoryStream();
        literal.GetInputStream().CopyTo(data);
        onePass.Update(data.ToArray());
        var signature = Assert.IsType<PgpSignatureList>(inside.NextPgpObject())[0];

        Assert.Equal(plaintext, data.ToArray());
        Assert.True(onePass.Verify(signature));
        Assert.Equal(4, signature.Version);
        Assert.Equal(PgpSignature.BinaryDocument, signature.SignatureType);
        Assert.Equal(OpenPgpProfile.DocumentSignatureHash, signature.HashAlgorithm);
        Assert.Equal(PublicKeyAlgorithmTag.EdDsa_Legacy, signature.KeyAlgorithm);
        Assert.Equal(unchecked((long)Leia.Certificate.KeyId), signature.KeyId);
        Assert.Equal(signedAt.UtcDateTime, signature.CreationTime);
        Assert.Equal(
            Leia.Certificate.ToBouncyCastle().GetPublicKey().GetFingerprint(),
            signature.GetHashedSubPackets().GetIssuerFingerprint().GetFingerprint());
    }

    [Theory]
    [InlineData(HashAlgorithmTag.Sha256, PgpSignature.BinaryDocument)]
    [InlineData(HashAlgorithmTag.Sha384, PgpSignature.BinaryDocument)]
    [InlineData(HashAlgorithmTag.Sha512, PgpSignature.BinaryDocument)]
    [InlineData(HashAlgorithmTag.Sha512, PgpSignature.CanonicalTextDocument)]
    public async Task BouncyCastle_signature_verifies_with_Keypost(HashAlgorithmTag hash, int type)
    {
        var message = BouncyCastleSignAndEncrypt(plaintext, plaintext, hash, type);

        using var output = new MemoryStream();
        var result = await new StreamingOpenPgp().DecryptAsync(
            new MemoryStream(message), output, [Luke.Unlock("")], FindLeia, CancellationToken.None);

        Assert.Equal(plaintext, output.ToArray());
        Assert.Equal(PgpMimeSignatureStatus.Valid, result.Signature.Status);
        Assert.Equal(Leia.Fingerprint, result.Signature.SignerFingerprint);
    }

    [Theory]
    [InlineData(HashAlgorithmTag.Sha256)]
    [InlineData(HashAlgorithmTag.Sha512)]
    public async Task A_signature_over_other_data_is_bad(HashAlgorithmTag hash)
    {
        var other = (byte[])plaintext.Clone();
        other[150_000] ^= 1;
        var message = BouncyCastleSignAndEncrypt(plaintext, signed: other, hash, PgpSignature.BinaryDocument);

        using var output = new MemoryStream();
        var result = await new StreamingOpenPgp().DecryptAsync(
            new MemoryStream(message), output, [Luke.Unlock("")], FindLeia, CancellationToken.None);

        // The MDC matches (the encryption is intact), so the data is released, but the signature is not good.
        Assert.Equal(plaintext, output.ToArray());
        Assert.Equal(PgpMimeSignatureStatus.Bad, result.Signature.Status);
    }

    private static Certificate? FindLeia(ulong keyId) => keyId == Leia.Certificate.KeyId ? Leia.Certificate : null;

    // BouncyCastle's own generators: SEIPD to Luke, one-pass signature by Leia over `signed`, literal `literal`.
    private static byte[] BouncyCastleSignAndEncrypt(byte[] literal, byte[] signed, HashAlgorithmTag hash, int type)
    {
        var random = new SecureRandom();
        var lukeKey = Luke.Certificate.ToBouncyCastle().GetPublicKeys().Cast<PgpPublicKey>().First(k => k.IsEncryptionKey);
        using var output = new MemoryStream();
        var encryption = new PgpEncryptedDataGenerator(SymmetricKeyAlgorithmTag.Aes256, withIntegrityPacket: true, random);
        encryption.AddMethod(lukeKey);
        using (var encrypted = encryption.Open(output, new byte[1 << 16]))
        {
            var signingKey = Leia.Unlock("").SigningKey;
            var generator = new PgpSignatureGenerator(signingKey.PublicKeyPacket.Algorithm, hash);
            generator.InitSign(type, signingKey, random);
            generator.GenerateOnePassVersion(false).Encode(encrypted);
            var literalGenerator = new PgpLiteralDataGenerator();
            using (var literalStream = literalGenerator.Open(
                encrypted, type == PgpSignature.BinaryDocument ? PgpLiteralData.Binary : PgpLiteralData.Text, "", literal.Length, DateTime.UtcNow))
            {
                literalStream.Write(literal);
            }

            generator.Update(signed);
            generator.Generate().Encode(encrypted);
        }

        return output.ToArray();
    }

    private static PgpObjectFactory BouncyCastleDecrypt(byte[] message, UnlockedSecretKey key)
    {
        var list = Assert.IsType<PgpEncryptedDataList>(new PgpObjectFactory(message).NextPgpObject());
        var data = list.GetEncryptedDataObjects().OfType<PgpPublicKeyEncryptedData>().Single();
        var clear = data.GetDataStream(key.FindPrivateKey(unchecked((ulong)data.KeyId)));
        using var all = new MemoryStream();
        clear.CopyTo(all);
        Assert.True(data.Verify());
        return new PgpObjectFactory(all.ToArray());
    }
}
