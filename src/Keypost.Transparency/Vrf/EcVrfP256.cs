using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace Keypost.Transparency.Vrf;

/// <summary>
/// ECVRF-P256-SHA256-TAI (RFC 9381 §5, suite in §5.5), the VRF of KEYTRANS's KT_128_SHA256_P256. Point arithmetic
/// is BouncyCastle's; this class only strings the RFC's steps together.
/// </summary>
public static class EcVrfP256
{
    public const int ProofLength = 33 + 16 + 32;
    public const int OutputLength = 32;
    public const int PublicKeyLength = 33;
    public const int SecretKeyLength = 32;

    // RFC 9381 §5.5: suite_string = 0x01; cLen = 16.
    private const byte Suite = 0x01;
    private const int ChallengeLength = 16;

    // The custom curve has BouncyCastle's specialised P-256 field arithmetic (the generic one is ~10x slower).
    private static readonly X9ECParameters Curve = Org.BouncyCastle.Crypto.EC.CustomNamedCurves.GetByName("secp256r1");
    private static readonly FixedPointCombMultiplier BaseMultiplier = new();

    public static byte[] GenerateSecretKey()
    {
        while (true)
        {
            var candidate = RandomNumberGenerator.GetBytes(SecretKeyLength);
            var x = new BigInteger(1, candidate);
            if (x.SignValue > 0 && x.CompareTo(Curve.N) < 0)
            {
                return candidate;
            }
        }
    }

    public static byte[] PublicKey(ReadOnlySpan<byte> secretKey) =>
        BaseMultiplier.Multiply(Curve.G, Scalar(secretKey)).Normalize().GetEncoded(true);

    /// <summary>RFC 9381 §5.1: ECVRF_prove.</summary>
    public static byte[] Prove(ReadOnlySpan<byte> secretKey, ReadOnlySpan<byte> alpha)
    {
        var x = Scalar(secretKey);
        var y = BaseMultiplier.Multiply(Curve.G, x).Normalize();
        var publicKey = y.GetEncoded(true);
        var h = EncodeToCurve(publicKey, alpha) ?? throw new CryptographicException("encode_to_curve found no point");
        var hString = h.GetEncoded(true);
        var gamma = h.Multiply(x).Normalize();
        var k = Nonce(x, hString);
        var c = Challenge(y, h, gamma, BaseMultiplier.Multiply(Curve.G, k), h.Multiply(k));
        var s = k.Add(c.Multiply(x)).Mod(Curve.N);

        var pi = new byte[ProofLength];
        gamma.GetEncoded(true).CopyTo(pi, 0);
        c.ToByteArrayUnsigned().CopyTo(pi, 33 + ChallengeLength - c.ToByteArrayUnsigned().Length);
        var sBytes = s.ToByteArrayUnsigned();
        sBytes.CopyTo(pi, ProofLength - sBytes.Length);
        return pi;
    }

    /// <summary>RFC 9381 §5.3: ECVRF_verify with validate_key = TRUE; the output beta, or null when INVALID.</summary>
    public static byte[]? Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> alpha, ReadOnlySpan<byte> proof)
    {
        var y = DecodePoint(publicKey);
        // RFC 9381 §5.4.5: with cofactor 1, a valid key is any point but the identity.
        if (y is null || y.IsInfinity || proof.Length != ProofLength)
        {
            return null;
        }

        var gamma = DecodePoint(proof[..33]);
        if (gamma is null)
        {
            return null;
        }

        var c = new BigInteger(1, proof.Slice(33, ChallengeLength).ToArray());
        var s = new BigInteger(1, proof[(33 + ChallengeLength)..].ToArray());
        if (s.CompareTo(Curve.N) >= 0)
        {
            return null;
        }

        var h = EncodeToCurve(publicKey, alpha);
        if (h is null)
        {
            return null;
        }

        var u = ECAlgorithms.SumOfTwoMultiplies(Curve.G, s, y, Curve.N.Subtract(c).Mod(Curve.N));
        var v = ECAlgorithms.SumOfTwoMultiplies(h, s, gamma, Curve.N.Subtract(c).Mod(Curve.N));
        var computed = Challenge(y, h, gamma, u, v);
        return computed.Equals(c) ? ProofToHash(gamma) : null;
    }

    /// <summary>RFC 9381 §5.2: beta = Hash(suite || 0x03 || point_to_string(Gamma) || 0x00) (cofactor 1).</summary>
    public static byte[]? ProofToHash(ReadOnlySpan<byte> proof)
    {
        var gamma = proof.Length == ProofLength ? DecodePoint(proof[..33]) : null;
        return gamma is null ? null : ProofToHash(gamma);
    }

    private static byte[] ProofToHash(ECPoint gamma) => SHA256.HashData([Suite, 0x03, .. gamma.Normalize().GetEncoded(true), 0x00]);

    /// <summary>
    /// RFC 9381 §5.4.1.1 try-and-increment with salt = PK_string and interpret_hash_value_as_a_point(s) =
    /// string_to_point(0x02 || s).
    /// </summary>
    private static ECPoint? EncodeToCurve(ReadOnlySpan<byte> salt, ReadOnlySpan<byte> alpha)
    {
        var input = new byte[2 + salt.Length + alpha.Length + 2];
        input[0] = Suite;
        input[1] = 0x01;
        salt.CopyTo(input.AsSpan(2));
        alpha.CopyTo(input.AsSpan(2 + salt.Length));
        for (var ctr = 0; ctr < 256; ctr++)
        {
            input[^2] = (byte)ctr;
            input[^1] = 0x00;
            var candidate = DecodePoint([0x02, .. SHA256.HashData(input)]);
            if (candidate is not null && !candidate.IsInfinity)
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>RFC 9381 §5.4.2.1: RFC 6979 §3.2 with m = h_string, so h1 = SHA-256(h_string).</summary>
    private static BigInteger Nonce(BigInteger x, byte[] hString)
    {
        var calculator = new HMacDsaKCalculator(new Sha256Digest());
        calculator.Init(Curve.N, x, SHA256.HashData(hString));
        return calculator.NextK();
    }

    /// <summary>RFC 9381 §5.4.3: the first 16 bytes of Hash(suite || 0x02 || P1..P5 || 0x00).</summary>
    private static BigInteger Challenge(params ECPoint[] points)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([Suite, 0x02]);
        foreach (var point in points)
        {
            hash.AppendData(point.Normalize().GetEncoded(true));
        }

        hash.AppendData([0x00]);
        return new BigInteger(1, hash.GetHashAndReset()[..ChallengeLength]);
    }

    /// <summary>SEC1 §2.3.4 string_to_point: null (INVALID) when the bytes are no point of P-256.</summary>
    private static ECPoint? DecodePoint(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length != 33 || (encoded[0] != 0x02 && encoded[0] != 0x03))
        {
            return null;
        }

        try
        {
            var point = Curve.Curve.DecodePoint(encoded.ToArray());
            return point.IsValid() ? point : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static BigInteger Scalar(ReadOnlySpan<byte> secretKey)
    {
        if (secretKey.Length != SecretKeyLength)
        {
            throw new ArgumentException("an ECVRF-P256 secret key has 32 bytes", nameof(secretKey));
        }

        var x = new BigInteger(1, secretKey.ToArray());
        if (x.SignValue == 0 || x.CompareTo(Curve.N) >= 0)
        {
            throw new ArgumentException("the secret key is not a scalar in [1, q-1]", nameof(secretKey));
        }

        return x;
    }
}
