using System.Security.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Encodings;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// Checks a one-pass signed document while it streams (RFC 4880 §5.4): for the signatures
/// <see cref="DocumentSignatures.Handles"/> the data is hashed with .NET's <see cref="IncrementalHash"/>, the v4
/// trailer is taken from the signature packet's own octets and BouncyCastle only checks the digest; others go
/// through BouncyCastle's one-pass verifier.
/// </summary>
internal sealed class DocumentSignatureVerifier : IDisposable
{
    private readonly PgpOnePassSignature onePass;
    private readonly PgpPublicKey key;
    private readonly IncrementalHash? hash;

    public DocumentSignatureVerifier(PgpOnePassSignature onePass, PgpPublicKey key)
    {
        this.onePass = onePass;
        this.key = key;
        if (onePass.KeyAlgorithm == key.Algorithm
            && DocumentSignatures.Handles(onePass.SignatureType, onePass.HashAlgorithm, key.Algorithm, PublicKey(key)))
        {
            hash = IncrementalHash.CreateHash(DocumentSignatures.HashName(onePass.HashAlgorithm)!.Value);
        }
        else
        {
            onePass.InitVerify(key);
        }
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        if (hash is not null)
        {
            hash.AppendData(data);
        }
        else
        {
            onePass.Update(data);
        }
    }

    /// <summary>Whether <paramref name="signature"/>, whose packet body is <paramref name="body"/>, signs the data.</summary>
    public bool Verify(PgpSignature signature, byte[] body)
    {
        if (hash is null)
        {
            return onePass.Verify(signature);
        }

        // RFC 4880 §5.2.3: version 4, type, public-key and hash algorithms, the hashed subpackets with their count,
        // the unhashed ones, two octets of the digest, the algorithm's MPIs. It must match its one-pass header.
        if (body.Length < 6
            || body[0] != 4
            || body[1] != onePass.SignatureType
            || body[2] != (byte)key.Algorithm
            || body[3] != (byte)onePass.HashAlgorithm)
        {
            return false;
        }

        var hashedEnd = 6 + ((body[4] << 8) | body[5]);
        if (hashedEnd + 2 > body.Length)
        {
            return false;
        }

        var offset = hashedEnd + 2 + ((body[hashedEnd] << 8) | body[hashedEnd + 1]) + 2;
        if (offset > body.Length)
        {
            return false;
        }

        DocumentSignatures.AppendTrailer(hash, body.AsSpan(0, hashedEnd));
        var digest = hash.GetHashAndReset();
        if (digest[0] != body[offset - 2] || digest[1] != body[offset - 1])
        {
            return false;
        }

        switch (PublicKey(key))
        {
            case Ed25519PublicKeyParameters ed25519:
            {
                // RFC 9580 §5.2.3.3 (legacy EdDSA): R and S are MPIs of the 32-octet native encodings.
                var r = DocumentSignatures.ReadMpi(body, ref offset);
                var s = DocumentSignatures.ReadMpi(body, ref offset);
                var rPadded = r is null ? null : DocumentSignatures.LeftPad(r, 32);
                var sPadded = s is null ? null : DocumentSignatures.LeftPad(s, 32);
                if (rPadded is null || sPadded is null)
                {
                    return false;
                }

                return Curve25519.Verify(ed25519.GetEncoded(), digest, [.. rPadded, .. sPadded]);
            }

            case RsaKeyParameters rsa:
            {
                // RFC 4880 §5.2.2: EMSA-PKCS1-v1_5; the recovered block must be exactly the expected DigestInfo.
                var value = DocumentSignatures.ReadMpi(body, ref offset);
                if (value is null)
                {
                    return false;
                }

                try
                {
                    var engine = new Pkcs1Encoding(new RsaEngine());
                    engine.Init(false, rsa);
                    var recovered = engine.ProcessBlock(value, 0, value.Length);
                    return CryptographicOperations.FixedTimeEquals(recovered, DocumentSignatures.DigestInfo(onePass.HashAlgorithm, digest));
                }
                catch (CryptoException)
                {
                    return false;
                }
            }

            default:
                return false;
        }
    }

    public void Dispose() => hash?.Dispose();

    /// <summary>
    /// Whether <paramref name="signature"/>, announced by <paramref name="onePass"/>, signs <paramref name="data"/>
    /// held whole in memory (a decrypted PGP/MIME message).
    /// </summary>
    public static bool VerifyWhole(PgpOnePassSignature onePass, PgpSignature signature, PgpPublicKey key, ReadOnlySpan<byte> data)
    {
        using var verifier = new DocumentSignatureVerifier(onePass, key);
        verifier.Update(data);
        // The packet as BouncyCastle encodes it again, whose hashed part is also what its own verifier hashes.
        var reader = new PacketReader(new MemoryStream(signature.GetEncoded(), writable: false));
        return reader.Next() is { Tag: (int)PacketTag.Signature } header
            && verifier.Verify(signature, reader.ReadBody(header, 1 << 16));
    }

    private static AsymmetricKeyParameter? PublicKey(PgpPublicKey key)
    {
        try
        {
            return key.GetKey();
        }
        catch (PgpException)
        {
            return null;
        }
    }
}
