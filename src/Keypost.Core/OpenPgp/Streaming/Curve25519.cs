using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Keypost.Core.OpenPgp.Streaming;

/// <summary>
/// X25519 (RFC 7748) and Ed25519 (RFC 8032) from libsodium, the per-message public-key work of OpenPGP with
/// Curve25519 keys: about three times faster than BouncyCastle's managed arithmetic, whose two X25519 operations per
/// recipient were the largest cost of encrypting a small message (issue #14). Keys and packets stay BouncyCastle's.
/// </summary>
internal static partial class Curve25519
{
    public const int KeySize = 32;
    public const int SignatureSize = 64;

    private const string Library = "libsodium";

    static Curve25519()
    {
        // sodium_init: 0 = initialised now, 1 = already; -1 = unusable.
        if (sodium_init() < 0)
        {
            throw new CryptographicException("libsodium failed to initialise");
        }
    }

    /// <summary>
    /// The shared secret of <paramref name="scalar"/> and <paramref name="point"/> (RFC 7748 §5; libsodium clamps
    /// the scalar). Throws on the all-zero result (RFC 7748 §6.1: a small-order point, which no genuine key is).
    /// </summary>
    public static byte[] SharedSecret(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point)
    {
        Check(scalar, "scalar");
        Check(point, "point");
        var shared = new byte[KeySize];
        // crypto_scalarmult returns -1 exactly when the result is all zero.
        if (crypto_scalarmult(shared, scalar, point) != 0)
        {
            throw new CryptographicException("X25519 produced the all-zero secret: the public key is a small-order point");
        }

        return shared;
    }

    /// <summary>The public key of <paramref name="scalar"/>: X25519 with the base point 9.</summary>
    public static byte[] PublicKey(ReadOnlySpan<byte> scalar)
    {
        Check(scalar, "scalar");
        var point = new byte[KeySize];
        if (crypto_scalarmult_base(point, scalar) != 0)
        {
            throw new CryptographicException("X25519 base point multiplication failed");
        }

        return point;
    }

    /// <summary>RFC 8032 §5.1.6: the signature of <paramref name="message"/> by the key with this seed and public key.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message)
    {
        Check(seed, "seed");
        Check(publicKey, "public key");
        // libsodium's secret key is the seed followed by the public key.
        Span<byte> secret = stackalloc byte[2 * KeySize];
        seed.CopyTo(secret);
        publicKey.CopyTo(secret[KeySize..]);
        var signature = new byte[SignatureSize];
        try
        {
            if (crypto_sign_detached(signature, out _, message, (ulong)message.Length, secret) != 0)
            {
                throw new CryptographicException("Ed25519 signing failed");
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        return signature;
    }

    /// <summary>RFC 8032 §5.1.7: whether <paramref name="signature"/> is this key's over <paramref name="message"/>.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        signature.Length == SignatureSize && publicKey.Length == KeySize
        && crypto_sign_verify_detached(signature, message, (ulong)message.Length, publicKey) == 0;

    private static void Check(ReadOnlySpan<byte> value, string what)
    {
        if (value.Length != KeySize)
        {
            throw new CryptographicException($"a Curve25519 {what} is {KeySize} octets, not {value.Length}");
        }
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    private static partial int crypto_scalarmult(Span<byte> q, ReadOnlySpan<byte> n, ReadOnlySpan<byte> p);

    [LibraryImport(Library)]
    private static partial int crypto_scalarmult_base(Span<byte> q, ReadOnlySpan<byte> n);

    [LibraryImport(Library)]
    private static partial int crypto_sign_detached(Span<byte> signature, out ulong signatureLength, ReadOnlySpan<byte> message, ulong messageLength, ReadOnlySpan<byte> secretKey);

    [LibraryImport(Library)]
    private static partial int crypto_sign_verify_detached(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message, ulong messageLength, ReadOnlySpan<byte> publicKey);
}
