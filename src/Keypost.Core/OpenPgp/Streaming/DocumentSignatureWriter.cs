using System.Security.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto.Encodings;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// Makes the one-pass signature and the v4 binary document signature around streamed literal data (RFC 4880
/// §5.4, §5.2.3). The data is hashed with .NET's <see cref="IncrementalHash"/>; BouncyCastle only signs the digest
/// (Ed25519 in the legacy EdDSA encoding, RSA PKCS#1 v1.5). Other keys go through BouncyCastle's generator.
/// </summary>
internal sealed class DocumentSignatureWriter : IDisposable
{
    private readonly PgpPrivateKey signingKey;
    private readonly PgpPublicKey signerPrimary;
    private readonly DateTime signedAt;
    private readonly SecureRandom random;
    private readonly HashAlgorithmTag hashAlgorithm = OpenPgpProfile.DocumentSignatureHash;
    private readonly IncrementalHash? hash;
    private readonly PgpSignatureGenerator? fallback;

    public DocumentSignatureWriter(PgpPrivateKey signingKey, PgpPublicKey signerPrimary, DateTime signedAt, SecureRandom random)
    {
        this.signingKey = signingKey;
        this.signerPrimary = signerPrimary;
        this.signedAt = signedAt;
        this.random = random;
        var algorithm = signingKey.PublicKeyPacket.Algorithm;
        if (DocumentSignatures.Handles(DocumentSignatures.BinaryDocument, hashAlgorithm, algorithm, signingKey.Key))
        {
            hash = IncrementalHash.CreateHash(DocumentSignatures.HashName(hashAlgorithm)!.Value);
        }
        else
        {
            fallback = new PgpSignatureGenerator(algorithm, hashAlgorithm);
            fallback.InitSign(PgpSignature.BinaryDocument, signingKey, random);
            var hashed = new PgpSignatureSubpacketGenerator();
            hashed.SetSignatureCreationTime(false, signedAt);
            hashed.SetIssuerFingerprint(false, signerPrimary);
            fallback.SetHashedSubpackets(hashed.Generate());
        }
    }

    /// <summary>RFC 4880 §5.4: version 3, the signature's type and algorithms, the key ID, 1 = not nested.</summary>
    public void WriteOnePass(Stream output)
    {
        if (fallback is not null)
        {
            fallback.GenerateOnePassVersion(false).Encode(output);
            return;
        }

        Span<byte> packet = stackalloc byte[15];
        packet[0] = 0xC0 | (int)PacketTag.OnePassSignature;
        packet[1] = 13;
        packet[2] = 3;
        packet[3] = DocumentSignatures.BinaryDocument;
        packet[4] = (byte)hashAlgorithm;
        packet[5] = (byte)signingKey.PublicKeyPacket.Algorithm;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(packet[6..], signingKey.KeyId);
        packet[14] = 1;
        output.Write(packet);
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        if (hash is not null)
        {
            hash.AppendData(data);
        }
        else
        {
            fallback!.Update(data);
        }
    }

    /// <summary>Writes the signature packet (RFC 4880 §5.2.3) after the literal data.</summary>
    public void WriteSignature(Stream output)
    {
        if (fallback is not null)
        {
            fallback.Generate().Encode(output);
            return;
        }

        using var body = new MemoryStream(256);
        body.WriteByte(4);
        body.WriteByte(DocumentSignatures.BinaryDocument);
        body.WriteByte((byte)signingKey.PublicKeyPacket.Algorithm);
        body.WriteByte((byte)hashAlgorithm);

        // RFC 4880 §5.2.3.4 creation time (2) and RFC 9580 §5.2.3.35 issuer fingerprint (33, v4 + 20 octets) hashed;
        // §5.2.3.5 issuer key ID (16) unhashed, which GnuPG 2.2 looks for first.
        var fingerprint = signerPrimary.GetFingerprint();
        var seconds = (uint)new DateTimeOffset(DateTime.SpecifyKind(signedAt, DateTimeKind.Utc)).ToUnixTimeSeconds();
        byte[] hashed =
        [
            5, 2, (byte)(seconds >> 24), (byte)(seconds >> 16), (byte)(seconds >> 8), (byte)seconds,
            (byte)(2 + fingerprint.Length), 33, 4, .. fingerprint,
        ];
        body.WriteByte((byte)(hashed.Length >> 8));
        body.WriteByte((byte)hashed.Length);
        body.Write(hashed);
        var hashedPart = body.ToArray();

        DocumentSignatures.AppendTrailer(hash!, hashedPart);
        var digest = hash!.GetHashAndReset();

        body.Write([0, 10, 9, 16]);
        Span<byte> keyId = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(keyId, signingKey.KeyId);
        body.Write(keyId);
        body.Write(digest.AsSpan(0, 2));
        Sign(body, digest);

        var packet = body.ToArray();
        output.WriteByte(0xC0 | (int)PacketTag.Signature);
        PacketBodyWriter.WriteLength(output, packet.Length);
        output.Write(packet);
    }

    public void Dispose() => hash?.Dispose();

    private void Sign(Stream output, byte[] digest)
    {
        switch (signingKey.Key)
        {
            case Ed25519PrivateKeyParameters ed25519:
            {
                // RFC 9580 §5.2.3.3 (legacy EdDSA): Ed25519 signs the digest; R and S go out as two MPIs.
                var seed = ed25519.GetEncoded();
                byte[] signature;
                try
                {
                    signature = Curve25519.Sign(seed, ed25519.GeneratePublicKey().GetEncoded(), digest);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(seed);
                }

                DocumentSignatures.WriteMpi(output, signature.AsSpan(0, 32));
                DocumentSignatures.WriteMpi(output, signature.AsSpan(32, 32));
                break;
            }

            case RsaKeyParameters rsa:
            {
                // RFC 4880 §5.2.2: EMSA-PKCS1-v1_5 over the DigestInfo; the result is one MPI.
                var engine = new Pkcs1Encoding(new RsaBlindedEngine());
                engine.Init(true, new ParametersWithRandom(rsa, random));
                var info = DocumentSignatures.DigestInfo(hashAlgorithm, digest);
                DocumentSignatures.WriteMpi(output, engine.ProcessBlock(info, 0, info.Length));
                break;
            }

            default:
                throw new InvalidOperationException("unreachable: the key type was checked in the constructor");
        }
    }
}
