using System.Security.Cryptography;
using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Crypto.Parameters;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// What the streaming signer and verifier share: which v4 document signatures are hashed with .NET's
/// <see cref="IncrementalHash"/> (OpenSSL) instead of BouncyCastle's managed digests, the v4 hash trailer and the
/// EMSA-PKCS1-v1_5 DigestInfo prefixes. Anything else goes through BouncyCastle's one-pass classes as before.
/// </summary>
internal static class DocumentSignatures
{
    /// <summary>RFC 4880 §5.2.1: a signature over a binary document (type 0x00).</summary>
    public const int BinaryDocument = 0x00;

    public static HashAlgorithmName? HashName(HashAlgorithmTag hash) => hash switch
    {
        HashAlgorithmTag.Sha256 => HashAlgorithmName.SHA256,
        HashAlgorithmTag.Sha384 => HashAlgorithmName.SHA384,
        HashAlgorithmTag.Sha512 => HashAlgorithmName.SHA512,
        _ => null,
    };

    /// <summary>
    /// Whether a binary signature with this hash by this key is made and checked here: SHA-2 (256/384/512) with
    /// Ed25519 in the legacy EdDSA encoding or RSA. Text signatures (0x01) need line-ending canonicalisation
    /// (RFC 4880 §5.2.1) and stay on BouncyCastle's path.
    /// </summary>
    public static bool Handles(int signatureType, HashAlgorithmTag hash, PublicKeyAlgorithmTag algorithm, object? key) =>
        signatureType == BinaryDocument
        && HashName(hash) is not null
        && algorithm switch
        {
            PublicKeyAlgorithmTag.EdDsa_Legacy => key is Ed25519PrivateKeyParameters or Ed25519PublicKeyParameters,
            PublicKeyAlgorithmTag.RsaGeneral or PublicKeyAlgorithmTag.RsaSign => key is RsaKeyParameters,
            _ => false,
        };

    /// <summary>
    /// RFC 4880 §5.2.4 (RFC 9580 §5.2.4): after the data, a v4 signature hashes its own first octets (version, type,
    /// algorithms, hashed subpackets with their count), then 0x04 0xFF and the length of those octets in four.
    /// </summary>
    public static void AppendTrailer(IncrementalHash hash, ReadOnlySpan<byte> hashedPart)
    {
        hash.AppendData(hashedPart);
        Span<byte> trailer = [0x04, 0xFF, (byte)(hashedPart.Length >> 24), (byte)(hashedPart.Length >> 16), (byte)(hashedPart.Length >> 8), (byte)hashedPart.Length];
        hash.AppendData(trailer);
    }

    /// <summary>RFC 4880 §5.2.2: the ASN.1 DigestInfo prefix EMSA-PKCS1-v1_5 puts before the digest.</summary>
    public static byte[] DigestInfo(HashAlgorithmTag hash, ReadOnlySpan<byte> digest)
    {
        byte[] prefix = hash switch
        {
            HashAlgorithmTag.Sha256 => [0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20],
            HashAlgorithmTag.Sha384 => [0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30],
            HashAlgorithmTag.Sha512 => [0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40],
            _ => throw new ArgumentOutOfRangeException(nameof(hash)),
        };
        return [.. prefix, .. digest];
    }

    /// <summary>RFC 4880 §3.2: an MPI is its length in bits (two octets), then the big-endian value without leading zeros.</summary>
    public static void WriteMpi(Stream output, ReadOnlySpan<byte> value)
    {
        var start = 0;
        while (start < value.Length && value[start] == 0)
        {
            start++;
        }

        value = value[start..];
        var bits = value.IsEmpty ? 0 : ((value.Length - 1) * 8) + 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)value[0]);
        output.WriteByte((byte)(bits >> 8));
        output.WriteByte((byte)bits);
        output.Write(value);
    }

    /// <summary>Reads one MPI at <paramref name="offset"/>; null when it runs past the data.</summary>
    public static byte[]? ReadMpi(ReadOnlySpan<byte> data, ref int offset)
    {
        if (offset + 2 > data.Length)
        {
            return null;
        }

        var bits = (data[offset] << 8) | data[offset + 1];
        var length = (bits + 7) / 8;
        if (offset + 2 + length > data.Length)
        {
            return null;
        }

        var value = data.Slice(offset + 2, length).ToArray();
        offset += 2 + length;
        return value;
    }

    /// <summary>Left-pads a big-endian value to <paramref name="length"/> octets; null when it is longer.</summary>
    public static byte[]? LeftPad(byte[] value, int length)
    {
        if (value.Length > length)
        {
            return null;
        }

        var padded = new byte[length];
        value.CopyTo(padded, length - value.Length);
        return padded;
    }
}
