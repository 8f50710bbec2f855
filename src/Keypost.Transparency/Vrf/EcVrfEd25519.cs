using System.Security.Cryptography;

namespace Keypost.Transparency.Vrf;

/// <summary>
/// ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5, suite in §5.5), the VRF of KEYTRANS's KT_128_SHA256_Ed25519. Point
/// and scalar arithmetic is libsodium's (<see cref="Ed25519Sodium"/>); this class only strings the RFC's steps
/// together. Integers are little-endian (RFC 8032 §5.1.2), points RFC 8032 encodings.
/// </summary>
/// <remarks>
/// Stricter than RFC 9381 §5.3 in one respect: the public key and Gamma must lie in the prime-order subgroup
/// (libsodium's variable-base multiplication refuses other points). Every honestly made key and proof does, so no
/// valid proof is refused; a key or Gamma with a torsion component, which the RFC would let through, is not.
/// </remarks>
public static class EcVrfEd25519
{
    public const int ProofLength = 32 + 16 + 32;
    public const int OutputLength = 64;
    public const int PublicKeyLength = 32;
    public const int SecretKeyLength = 32;

    // RFC 9381 §5.5: suite_string = 0x03 for ECVRF-EDWARDS25519-SHA512-TAI; cLen = 16.
    private const byte Suite = 0x03;
    private const int ChallengeLength = 16;

    // The encoding of the identity, (0, 1).
    private static ReadOnlySpan<byte> Identity => [0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>An RFC 8032 §5.1.5 secret key: 32 random bytes.</summary>
    public static byte[] GenerateSecretKey() => RandomNumberGenerator.GetBytes(SecretKeyLength);

    public static byte[] PublicKey(ReadOnlySpan<byte> secretKey)
    {
        Span<byte> x = stackalloc byte[32];
        Span<byte> nonceKey = stackalloc byte[32];
        Expand(secretKey, x, nonceKey);
        var y = new byte[PublicKeyLength];
        if (!Ed25519Sodium.MultiplyBase(y, x))
        {
            throw new CryptographicException("x·B is the identity");
        }

        CryptographicOperations.ZeroMemory(x);
        CryptographicOperations.ZeroMemory(nonceKey);
        return y;
    }

    /// <summary>RFC 9381 §5.1: ECVRF_prove.</summary>
    public static byte[] Prove(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> alpha) => Prove(secretKey, default, alpha);

    /// <summary>
    /// ECVRF_prove with the public key the caller already holds (<see cref="PublicKey"/> of the same secret key),
    /// which saves a base-point multiplication per proof; empty to compute it.
    /// </summary>
    internal static byte[] Prove(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> knownPublicKey, ReadOnlySpan<byte> alpha) =>
        Run(secretKey, knownPublicKey, alpha, knownGamma: default);

    /// <summary>
    /// The VRF output alone, for an append: beta (RFC 9381 §5.2) and a placeholder proof with Gamma, c and s all zero
    /// (<see cref="IsUnfinished"/>) that <see cref="Finish"/> makes whole when a lookup first needs it. §5.2 hashes
    /// only 8·Gamma = 8·x·H, and H (§5.4.1.1, cofactor already cleared) lies in the prime-order subgroup, so
    /// 8·Gamma = ((8·x) mod L)·H: one variable-base multiplication gives the output, where Gamma and then 8·Gamma by
    /// three point doublings would cost a third more. The all-zero Gamma cannot be a real one (it encodes a point of
    /// order 4, never x·H), so it marks "compute Gamma when finishing".
    /// </summary>
    internal static byte[] Evaluate(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> knownPublicKey, ReadOnlySpan<byte> alpha, out byte[] beta)
    {
        Span<byte> x = stackalloc byte[32];
        Span<byte> nonceKey = stackalloc byte[32];
        Span<byte> y = stackalloc byte[32];
        Span<byte> h = stackalloc byte[32];
        Span<byte> wide = stackalloc byte[64];
        Span<byte> xReduced = stackalloc byte[32];
        Span<byte> eightX = stackalloc byte[32];
        Span<byte> input = stackalloc byte[35];
        try
        {
            Begin(secretKey, knownPublicKey, alpha, x, nonceKey, y, h);

            x.CopyTo(wide);
            Ed25519Sodium.ReduceScalar(xReduced, wide);
            Span<byte> eight = stackalloc byte[32];
            eight[0] = 8;
            Ed25519Sodium.MultiplyScalars(eightX, eight, xReduced);
            if (!Ed25519Sodium.Multiply(input[2..34], eightX, h))
            {
                throw new CryptographicException("ECVRF prove: Gamma is the identity");
            }

            input[0] = Suite;
            input[1] = 0x03;
            input[34] = 0x00;
            beta = SHA512.HashData(input);
            return new byte[ProofLength];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(x);
            CryptographicOperations.ZeroMemory(nonceKey);
            CryptographicOperations.ZeroMemory(wide);
            CryptographicOperations.ZeroMemory(xReduced);
            CryptographicOperations.ZeroMemory(eightX);
        }
    }

    /// <summary>
    /// RFC 9381 §5.1 for a proof <see cref="Evaluate"/> began: the same bytes <see cref="Prove(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    /// gives (the nonce is deterministic, §5.4.2.2). Gamma is taken as is: a Gamma that is not x·H makes a proof
    /// that fails verification, it cannot make one that passes.
    /// </summary>
    internal static byte[] Finish(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> alpha, ReadOnlySpan<byte> unfinished)
    {
        if (unfinished.Length != ProofLength)
        {
            throw new ArgumentException("an ECVRF-EDWARDS25519 proof has 80 bytes", nameof(unfinished));
        }

        // An all-zero Gamma is Evaluate's placeholder; a non-zero one comes from a proof stored before Evaluate
        // stopped computing Gamma, and is taken as is.
        var gamma = unfinished[..32];
        return Run(secretKey, publicKey, alpha, gamma.ContainsAnyExcept((byte)0) ? gamma : default);
    }

    /// <summary>Whether c and s are still zero: a proof from <see cref="Evaluate"/>, never one an honest prover sends.</summary>
    internal static bool IsUnfinished(ReadOnlySpan<byte> proof) => proof.Length == ProofLength && !proof[32..].ContainsAnyExcept((byte)0);

    private static byte[] Run(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> knownPublicKey, ReadOnlySpan<byte> alpha, ReadOnlySpan<byte> knownGamma)
    {
        Span<byte> x = stackalloc byte[32];
        Span<byte> nonceKey = stackalloc byte[32];
        Span<byte> y = stackalloc byte[32];
        Span<byte> h = stackalloc byte[32];
        Span<byte> k = stackalloc byte[32];
        Span<byte> u = stackalloc byte[32];
        Span<byte> v = stackalloc byte[32];
        Span<byte> wide = stackalloc byte[64];
        try
        {
            Begin(secretKey, knownPublicKey, alpha, x, nonceKey, y, h);

            var pi = new byte[ProofLength];
            var gamma = pi.AsSpan(0, 32);
            if (knownGamma.Length == 32)
            {
                knownGamma.CopyTo(gamma);
            }
            else if (!Ed25519Sodium.Multiply(gamma, x, h))
            {
                throw new CryptographicException("ECVRF prove: Gamma is the identity");
            }

            // RFC 9381 §5.4.2.2: k = SHA-512(nonce key || h_string) mod q.
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512))
            {
                hash.AppendData(nonceKey);
                hash.AppendData(h);
                hash.GetHashAndReset(wide);
            }

            Ed25519Sodium.ReduceScalar(k, wide);
            if (!Ed25519Sodium.MultiplyBase(u, k) || !Ed25519Sodium.Multiply(v, k, h))
            {
                throw new CryptographicException("ECVRF prove: a product is the identity");
            }

            // c (16 bytes) goes into the proof as is; as a scalar it is those bytes padded with zeros.
            var c = pi.AsSpan(32, ChallengeLength);
            Challenge(y, h, gamma, u, v, c);
            Span<byte> cScalar = stackalloc byte[32];
            c.CopyTo(cScalar);
            Span<byte> xReduced = stackalloc byte[32];
            wide.Clear();
            x.CopyTo(wide);
            Ed25519Sodium.ReduceScalar(xReduced, wide);
            Span<byte> cx = stackalloc byte[32];
            Ed25519Sodium.MultiplyScalars(cx, cScalar, xReduced);
            // RFC 9381 §5.1 step 6: s = (k + c·x) mod q.
            Ed25519Sodium.AddScalars(pi.AsSpan(48, 32), k, cx);
            CryptographicOperations.ZeroMemory(xReduced);
            CryptographicOperations.ZeroMemory(cx);
            return pi;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(x);
            CryptographicOperations.ZeroMemory(nonceKey);
            CryptographicOperations.ZeroMemory(k);
            CryptographicOperations.ZeroMemory(wide);
        }
    }

    /// <summary>RFC 9381 §5.3: ECVRF_verify with validate_key = TRUE; the output beta (64 bytes), or null when INVALID.</summary>
    public static byte[]? Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> alpha, ReadOnlySpan<byte> proof)
    {
        // RFC 9381 §5.4.5 validate_key (no key of small order) and string_to_point for Y and Gamma are done by
        // libsodium's variable-base multiplication below, which refuses non-canonical encodings, points off the
        // curve, of small order or outside the prime-order subgroup (see remarks); a separate is_valid_point would
        // repeat that work (a multiplication by L each).
        if (proof.Length != ProofLength || publicKey.Length != PublicKeyLength)
        {
            return null;
        }

        var gamma = proof[..32];
        var c = proof.Slice(32, ChallengeLength);
        var s = proof[48..];
        if (!IsReducedScalar(s))
        {
            return null;
        }

        Span<byte> h = stackalloc byte[32];
        if (!EncodeToCurve(publicKey, alpha, h))
        {
            return null;
        }

        Span<byte> cScalar = stackalloc byte[32];
        c.CopyTo(cScalar);
        Span<byte> sB = stackalloc byte[32];
        Span<byte> cY = stackalloc byte[32];
        Span<byte> sH = stackalloc byte[32];
        Span<byte> cGamma = stackalloc byte[32];
        Span<byte> u = stackalloc byte[32];
        Span<byte> v = stackalloc byte[32];
        // U = s·B - c·Y, V = s·H - c·Gamma. A product that is the identity (s = 0 or c = 0) never comes from an
        // honest prover: INVALID.
        if (!Ed25519Sodium.MultiplyBase(sB, s) || !Ed25519Sodium.Multiply(cY, cScalar, publicKey)
            || !Ed25519Sodium.Multiply(sH, s, h) || !Ed25519Sodium.Multiply(cGamma, cScalar, gamma)
            || !Ed25519Sodium.Subtract(u, sB, cY) || !Ed25519Sodium.Subtract(v, sH, cGamma))
        {
            return null;
        }

        Span<byte> computed = stackalloc byte[ChallengeLength];
        Challenge(publicKey, h, gamma, u, v, computed);
        return CryptographicOperations.FixedTimeEquals(computed, c) ? ProofToHash(proof) : null;
    }

    /// <summary>
    /// RFC 9381 §5.2: beta = SHA-512(suite || 0x03 || point_to_string(8·Gamma) || 0x00), or null when Gamma is not
    /// a point.
    /// </summary>
    public static byte[]? ProofToHash(ReadOnlySpan<byte> proof)
    {
        if (proof.Length != ProofLength)
        {
            return null;
        }

        Span<byte> cleared = stackalloc byte[32];
        if (!IsCanonical(proof[..32]) || !TimesCofactor(proof[..32], cleared))
        {
            return null;
        }

        Span<byte> input = stackalloc byte[35];
        input[0] = Suite;
        input[1] = 0x03;
        cleared.CopyTo(input[2..]);
        input[34] = 0x00;
        return SHA512.HashData(input);
    }

    /// <summary>
    /// RFC 9381 §5.4.1.1 try-and-increment, with encode_to_curve_salt = PK_string and, for edwards25519,
    /// interpret_hash_value_as_a_point(s) = string_to_point(s[0..32]), then multiplied by the cofactor 8.
    /// </summary>
    private static bool EncodeToCurve(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> alpha, Span<byte> h)
    {
        var input = new byte[2 + salt.Length + alpha.Length + 2];
        input[0] = Suite;
        input[1] = 0x01;
        salt.CopyTo(input.AsSpan(2));
        alpha.CopyTo(input.AsSpan(2 + salt.Length));
        Span<byte> digest = stackalloc byte[64];
        for (var ctr = 0; ctr < 256; ctr++)
        {
            input[^2] = (byte)ctr;
            input[^1] = 0x00;
            SHA512.HashData(input, digest);
            var candidate = digest[..32];
            if (IsCanonical(candidate) && TimesCofactor(candidate, h) && !h.SequenceEqual(Identity))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>8·P by three doublings; false when P does not decode to a curve point.</summary>
    private static bool TimesCofactor(ReadOnlySpan<byte> point, Span<byte> result)
    {
        Span<byte> twice = stackalloc byte[32];
        Span<byte> four = stackalloc byte[32];
        return Ed25519Sodium.Add(twice, point, point) && Ed25519Sodium.Add(four, twice, twice) && Ed25519Sodium.Add(result, four, four);
    }

    /// <summary>RFC 8032 §5.1.3 step 1: the y coordinate (bit 255 masked off) must be below p = 2^255 - 19.</summary>
    private static bool IsCanonical(ReadOnlySpan<byte> point)
    {
        if ((point[31] & 0x7f) != 0x7f)
        {
            return true;
        }

        for (var i = 30; i >= 1; i--)
        {
            if (point[i] != 0xff)
            {
                return true;
            }
        }

        return point[0] < 0xed;
    }

    /// <summary>RFC 9381 §5.3 step 5: s must be below the group order L = 2^252 + 27742317777372353535851937790883648493.</summary>
    private static bool IsReducedScalar(ReadOnlySpan<byte> s)
    {
        ReadOnlySpan<byte> order =
        [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
        ];
        for (var i = 31; i >= 0; i--)
        {
            if (s[i] != order[i])
            {
                return s[i] < order[i];
            }
        }

        return false;
    }

    /// <summary>RFC 9381 §5.4.3: the first 16 bytes of SHA-512(suite || 0x02 || Y || H || Gamma || U || V || 0x00).</summary>
    private static void Challenge(ReadOnlySpan<byte> y, ReadOnlySpan<byte> h, ReadOnlySpan<byte> gamma, ReadOnlySpan<byte> u,
        ReadOnlySpan<byte> v, Span<byte> c)
    {
        Span<byte> input = stackalloc byte[2 + (5 * 32) + 1];
        input[0] = Suite;
        input[1] = 0x02;
        y.CopyTo(input[2..]);
        h.CopyTo(input[34..]);
        gamma.CopyTo(input[66..]);
        u.CopyTo(input[98..]);
        v.CopyTo(input[130..]);
        input[162] = 0x00;
        Span<byte> digest = stackalloc byte[64];
        SHA512.HashData(input, digest);
        digest[..ChallengeLength].CopyTo(c);
    }

    /// <summary>RFC 9381 §5.1 steps 1-2: the secret scalar x, the nonce key, Y (given or x·B) and H = encode_to_curve(Y, alpha).</summary>
    private static void Begin(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> knownPublicKey, ReadOnlySpan<byte> alpha, Span<byte> x, Span<byte> nonceKey, Span<byte> y, Span<byte> h)
    {
        Expand(secretKey, x, nonceKey);
        if (knownPublicKey.Length == PublicKeyLength)
        {
            knownPublicKey.CopyTo(y);
        }
        else if (!Ed25519Sodium.MultiplyBase(y, x))
        {
            throw new CryptographicException("x·B is the identity");
        }

        if (!EncodeToCurve(y, alpha, h))
        {
            throw new CryptographicException("ECVRF prove: no point for this key and input");
        }
    }

    /// <summary>
    /// RFC 8032 §5.1.5 as RFC 9381 §5.5 asks: h = SHA-512(secret key); x = the clamped first half; the second half
    /// keys the nonce (RFC 9381 §5.4.2.2).
    /// </summary>
    private static void Expand(ReadOnlySpan<byte> secretKey, Span<byte> x, Span<byte> nonceKey)
    {
        if (secretKey.Length != SecretKeyLength)
        {
            throw new ArgumentException("an ECVRF-EDWARDS25519 secret key has 32 bytes", nameof(secretKey));
        }

        Span<byte> hashed = stackalloc byte[64];
        SHA512.HashData(secretKey, hashed);
        hashed[..32].CopyTo(x);
        x[0] &= 248;
        x[31] &= 127;
        x[31] |= 64;
        hashed[32..].CopyTo(nonceKey);
        CryptographicOperations.ZeroMemory(hashed);
    }
}
