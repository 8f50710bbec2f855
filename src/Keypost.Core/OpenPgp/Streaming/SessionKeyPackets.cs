using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.EdEC;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// Public-key encrypted session key packets (RFC 4880 §5.1, v3) for a session key we hold, since BouncyCastle's
/// generator and reader keep theirs private: ECDH over Curve25519 (RFC 6637 §8 with RFC 9580 §11.5's legacy
/// encoding) and RSA PKCS#1 v1.5 (RFC 4880 §5.1). X25519 is libsodium's (<see cref="Curve25519"/>); RSA, the
/// KDF and the key wrap stay BouncyCastle's.
/// </summary>
internal static class SessionKeyPackets
{
    /// <summary>Whether a session key can be encrypted to (or recovered for) this key here.</summary>
    public static bool Supports(PublicKeyPacket key) => key.Algorithm switch
    {
        PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaEncrypt => true,
        PublicKeyAlgorithmTag.ECDH => key.Key is ECDHPublicBcpgKey ec && IsCurve25519(ec),
        _ => false,
    };

    /// <summary>RFC 4880 §5.1: algorithm octet, key, two-octet sum of the key octets.</summary>
    public static byte[] SessionInfo(SymmetricKeyAlgorithmTag algorithm, ReadOnlySpan<byte> key)
    {
        var info = new byte[key.Length + 3];
        info[0] = (byte)algorithm;
        key.CopyTo(info.AsSpan(1));
        var sum = Checksum(key);
        info[^2] = (byte)(sum >> 8);
        info[^1] = (byte)sum;
        return info;
    }

    public static byte[] Encrypt(PgpPublicKey recipient, byte[] sessionInfo, SecureRandom random)
    {
        byte[][] data;
        if (recipient.Algorithm == PublicKeyAlgorithmTag.ECDH)
        {
            data = [EcdhWrap((ECDHPublicBcpgKey)recipient.PublicKeyPacket.Key, recipient.PublicKeyPacket, sessionInfo, random)];
        }
        else
        {
            var rsa = CipherUtilities.GetCipher("RSA//PKCS1Padding");
            rsa.Init(true, new ParametersWithRandom(recipient.GetKey(), random));
            data = [new MPInteger(new BigInteger(1, rsa.DoFinal(sessionInfo))).GetEncoded()];
        }

        return new PublicKeyEncSessionPacket(recipient.KeyId, recipient.Algorithm, data).GetEncoded();
    }

    /// <summary>
    /// The session key (algorithm, key) in <paramref name="packet"/> for <paramref name="key"/>, or an
    /// <see cref="InvalidCipherTextException"/> when it does not open (a damaged packet or the wrong key).
    /// </summary>
    public static (SymmetricKeyAlgorithmTag Algorithm, byte[] Key) Decrypt(PublicKeyEncSessionPacket packet, PgpPrivateKey key)
    {
        var encrypted = packet.GetEncSessionKey();
        byte[] info;
        if (packet.Algorithm == PublicKeyAlgorithmTag.ECDH)
        {
            info = EcdhUnwrap(encrypted[0], key);
        }
        else
        {
            var rsa = CipherUtilities.GetCipher("RSA//PKCS1Padding");
            rsa.Init(false, key.Key);
            // An encoded MPI: two octets of bit count, then the big-endian value.
            info = rsa.DoFinal(encrypted[0], 2, encrypted[0].Length - 2);
        }

        if (info.Length < 4)
        {
            throw new InvalidCipherTextException("session key too short");
        }

        var sessionKey = info.AsSpan(1, info.Length - 3);
        if (Checksum(sessionKey) != ((info[^2] << 8) | info[^1]))
        {
            throw new InvalidCipherTextException("session key checksum failed");
        }

        return ((SymmetricKeyAlgorithmTag)info[0], sessionKey.ToArray());
    }

    // RFC 9580 §9.2: the legacy OID of Curve25519 for ECDH (1.3.6.1.4.1.3029.1.5.1), or the RFC 8410 one.
    private static bool IsCurve25519(ECDHPublicBcpgKey key) =>
        key.CurveOid.Id == "1.3.6.1.4.1.3029.1.5.1" || EdECObjectIdentifiers.id_X25519.Equals(key.CurveOid);

    private static int Checksum(ReadOnlySpan<byte> key)
    {
        var sum = 0;
        foreach (var b in key)
        {
            sum += b;
        }

        return sum & 0xFFFF;
    }

    // RFC 6637 §8: an ephemeral key, the shared point through the KDF to a key-encryption key, AES key wrap
    // (RFC 3394) of the PKCS#5-padded session info. Field: MPI of 0x40 || ephemeral key, one length octet, C.
    private static byte[] EcdhWrap(ECDHPublicBcpgKey key, PublicKeyPacket packet, byte[] sessionInfo, SecureRandom random)
    {
        var recipient = key.EncodedPoint.ToByteArrayUnsigned();
        if (recipient.Length != 33 || recipient[0] != 0x40)
        {
            throw new PgpException("the Curve25519 encryption key is not in the 0x40-prefixed native encoding");
        }

        var ephemeral = new byte[Curve25519.KeySize];
        var point = new byte[33];
        byte[] shared;
        random.NextBytes(ephemeral);
        try
        {
            shared = Curve25519.SharedSecret(ephemeral, recipient.AsSpan(1));
            point[0] = 0x40;
            Curve25519.PublicKey(ephemeral).CopyTo(point, 1);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(ephemeral);
        }

        var wrap = new AesWrapEngine();
        wrap.Init(true, new KeyParameter(Rfc6637Utilities.CreateKey(packet, shared)));
        var padded = PgpPad.PadSessionData(sessionInfo);
        var wrapped = wrap.Wrap(padded, 0, padded.Length);

        var mpi = new MPInteger(new BigInteger(1, point)).GetEncoded();
        var field = new byte[mpi.Length + 1 + wrapped.Length];
        mpi.CopyTo(field, 0);
        field[mpi.Length] = (byte)wrapped.Length;
        wrapped.CopyTo(field, mpi.Length + 1);
        return field;
    }

    private static byte[] EcdhUnwrap(byte[] field, PgpPrivateKey key)
    {
        if (field.Length < 3)
        {
            throw new InvalidCipherTextException("ECDH field too short");
        }

        var pointLength = (((field[0] << 8) | field[1]) + 7) / 8;
        if (pointLength != 33 || field.Length < 2 + pointLength + 1 || field[2] != 0x40)
        {
            throw new InvalidCipherTextException("ECDH ephemeral key malformed");
        }

        var wrappedLength = field[2 + pointLength];
        if (field.Length != 2 + pointLength + 1 + wrappedLength)
        {
            throw new InvalidCipherTextException("ECDH wrapped key length out of range");
        }

        if (key.Key is not X25519PrivateKeyParameters secret)
        {
            throw new InvalidCipherTextException("the secret key is not a Curve25519 encryption key");
        }

        byte[] shared;
        var scalar = secret.GetEncoded();
        try
        {
            shared = Curve25519.SharedSecret(scalar, field.AsSpan(3, Curve25519.KeySize));
        }
        catch (CryptographicException e)
        {
            throw new InvalidCipherTextException(e.Message, e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }

        var wrap = new AesWrapEngine();
        wrap.Init(false, new KeyParameter(Rfc6637Utilities.CreateKey(key.PublicKeyPacket, shared)));
        return PgpPad.UnpadSessionData(wrap.Unwrap(field, 2 + pointLength + 1, wrappedLength));
    }
}
