using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Keypost.Transparency.Vrf;

/// <summary>
/// The edwards25519 point and scalar operations ECVRF-EDWARDS25519 needs, and Ed25519 signing and verification for
/// checkpoints and cosignatures, from libsodium (the NuGet `libsodium` native package, the build NSec and Geralt ship). Every call is libsodium's constant-time code; nothing here does
/// arithmetic itself. Points are 32-byte RFC 8032 encodings, scalars 32-byte little-endian.
/// </summary>
internal static partial class Ed25519Sodium
{
    public const int PointLength = 32;
    public const int ScalarLength = 32;

    /// <summary>RFC 8032 §5.1.5: an Ed25519 secret key is 32 bytes.</summary>
    public const int SecretKeyLength = 32;

    /// <summary>RFC 8032 §5.1.6: an Ed25519 signature is 64 bytes.</summary>
    public const int SignatureLength = 64;

    /// <summary>libsodium's signing key: the 32-byte secret key followed by the public key.</summary>
    public const int SigningKeyLength = 64;
    private const string Library = "libsodium";

    static Ed25519Sodium()
    {
        // sodium_init: 0 = initialised now, 1 = already; -1 = unusable (no entropy source, CPU detection failed).
        if (sodium_init() < 0)
        {
            throw new CryptographicException("libsodium failed to initialise");
        }
    }

    /// <summary>n·B with n used as is (no clamping); false when n·B is the identity (n = 0 mod L).</summary>
    public static bool MultiplyBase(Span<byte> result, ReadOnlySpan<byte> scalar) =>
        crypto_scalarmult_ed25519_base_noclamp(result, scalar) == 0;

    /// <summary>
    /// n·P, no clamping; false when P is not canonical, not in the prime-order subgroup or of small order, or the
    /// result is the identity.
    /// </summary>
    public static bool Multiply(Span<byte> result, ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> point) =>
        crypto_scalarmult_ed25519_noclamp(result, scalar, point) == 0;

    /// <summary>P + Q; false when either does not decode to a curve point.</summary>
    public static bool Add(Span<byte> result, ReadOnlySpan<byte> p, ReadOnlySpan<byte> q) =>
        crypto_core_ed25519_add(result, p, q) == 0;

    /// <summary>P - Q; false when either does not decode to a curve point.</summary>
    public static bool Subtract(Span<byte> result, ReadOnlySpan<byte> p, ReadOnlySpan<byte> q) =>
        crypto_core_ed25519_sub(result, p, q) == 0;

    /// <summary>
    /// RFC 8032 §5.1.7 Ed25519 verification of a detached 64-byte signature. libsodium's is about four times faster
    /// than BouncyCastle's managed one, and a lookup verifies a checkpoint signature and each witness cosignature, so
    /// it is most of a lookup's cost beside the ECVRF. It is also stricter (a non-canonical S or a small-order key
    /// fails), which only refuses signatures no RFC 8032 signer makes.
    /// </summary>
    public static bool VerifySignature(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message, ReadOnlySpan<byte> publicKey) =>
        signature.Length == 64 && publicKey.Length == 32
        && crypto_sign_verify_detached(signature, message, (ulong)message.Length, publicKey) == 0;

    /// <summary>
    /// RFC 8032 §5.1.5 key generation from a 32-byte secret key (libsodium's "seed"): the public key, and the
    /// 64-byte signing key libsodium signs with (the secret key followed by the public key).
    /// </summary>
    public static (byte[] PublicKey, byte[] SigningKey) SigningKeyPair(ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length != SecretKeyLength)
        {
            throw new ArgumentException("an Ed25519 secret key has 32 bytes", nameof(secretKey));
        }

        var publicKey = new byte[PointLength];
        var signingKey = new byte[SigningKeyLength];
        if (crypto_sign_seed_keypair(publicKey, signingKey, secretKey) != 0)
        {
            throw new CryptographicException("libsodium could not derive an Ed25519 key pair");
        }

        return (publicKey, signingKey);
    }

    /// <summary>
    /// RFC 8032 §5.1.6 signing with a key from <see cref="SigningKeyPair"/>. Ed25519 is deterministic: the signature
    /// is the very one any RFC 8032 signer (BouncyCastle's, which this replaced for checkpoints and cosignatures)
    /// makes for the same key and message.
    /// </summary>
    public static void Sign(Span<byte> signature, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signingKey)
    {
        if (signature.Length != SignatureLength || signingKey.Length != SigningKeyLength)
        {
            throw new ArgumentException("an Ed25519 signature has 64 bytes, a libsodium signing key 64");
        }

        if (crypto_sign_detached(signature, IntPtr.Zero, message, (ulong)message.Length, signingKey) != 0)
        {
            throw new CryptographicException("libsodium could not sign");
        }
    }

    /// <summary>A 64-byte little-endian integer reduced mod L.</summary>
    public static void ReduceScalar(Span<byte> result, ReadOnlySpan<byte> wide) => crypto_core_ed25519_scalar_reduce(result, wide);

    /// <summary>x·y mod L.</summary>
    public static void MultiplyScalars(Span<byte> result, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => crypto_core_ed25519_scalar_mul(result, x, y);

    /// <summary>x + y mod L.</summary>
    public static void AddScalars(Span<byte> result, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y) => crypto_core_ed25519_scalar_add(result, x, y);

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    private static partial int crypto_sign_verify_detached(ReadOnlySpan<byte> sig, ReadOnlySpan<byte> m, ulong mlen, ReadOnlySpan<byte> pk);

    [LibraryImport(Library)]
    private static partial int crypto_sign_seed_keypair(Span<byte> pk, Span<byte> sk, ReadOnlySpan<byte> seed);

    [LibraryImport(Library)]
    private static partial int crypto_sign_detached(Span<byte> sig, IntPtr siglen, ReadOnlySpan<byte> m, ulong mlen, ReadOnlySpan<byte> sk);

    [LibraryImport(Library)]
    private static partial int crypto_scalarmult_ed25519_base_noclamp(Span<byte> q, ReadOnlySpan<byte> n);

    [LibraryImport(Library)]
    private static partial int crypto_scalarmult_ed25519_noclamp(Span<byte> q, ReadOnlySpan<byte> n, ReadOnlySpan<byte> p);

    [LibraryImport(Library)]
    private static partial int crypto_core_ed25519_add(Span<byte> r, ReadOnlySpan<byte> p, ReadOnlySpan<byte> q);

    [LibraryImport(Library)]
    private static partial int crypto_core_ed25519_sub(Span<byte> r, ReadOnlySpan<byte> p, ReadOnlySpan<byte> q);

    [LibraryImport(Library)]
    private static partial void crypto_core_ed25519_scalar_reduce(Span<byte> r, ReadOnlySpan<byte> s);

    [LibraryImport(Library)]
    private static partial void crypto_core_ed25519_scalar_mul(Span<byte> z, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y);

    [LibraryImport(Library)]
    private static partial void crypto_core_ed25519_scalar_add(Span<byte> z, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y);
}
