using Org.BouncyCastle.Bcpg;
using Org.BouncyCastle.Bcpg.OpenPgp;

namespace Keypost.Core.OpenPgp;

/// <summary>Names keys the way GnuPG prints them (ed25519, cv25519, rsa3072), so users recognise them.</summary>
internal static class KeyDescription
{
    public static KeyAlgorithm Algorithm(PgpPublicKey key) =>
        Enum.IsDefined(typeof(KeyAlgorithm), (int)key.Algorithm) ? (KeyAlgorithm)(int)key.Algorithm : KeyAlgorithm.Unknown;

    public static string Name(PgpPublicKey key)
    {
        var algorithm = Algorithm(key);
        return algorithm switch
        {
            KeyAlgorithm.Rsa or KeyAlgorithm.RsaEncryptOnly or KeyAlgorithm.RsaSignOnly => "rsa" + key.BitStrength,
            KeyAlgorithm.Dsa => "dsa" + key.BitStrength,
            KeyAlgorithm.ElGamal or KeyAlgorithm.ElGamalGeneral => "elg" + key.BitStrength,
            KeyAlgorithm.Ecdh or KeyAlgorithm.Ecdsa or KeyAlgorithm.EdDsaLegacy => CurveName(key),
            KeyAlgorithm.Ed25519 => "ed25519",
            KeyAlgorithm.X25519 => "cv25519",
            KeyAlgorithm.Ed448 => "ed448",
            KeyAlgorithm.X448 => "cv448",
            _ => "algorithm" + (int)key.Algorithm,
        };
    }

    /// <summary>A short human form for messages: "RSA-1024", "DSA-2048", "ElGamal-2048".</summary>
    public static string Display(PgpPublicKey key) => Algorithm(key) switch
    {
        KeyAlgorithm.Rsa or KeyAlgorithm.RsaEncryptOnly or KeyAlgorithm.RsaSignOnly => "RSA-" + key.BitStrength,
        KeyAlgorithm.Dsa => "DSA-" + key.BitStrength,
        KeyAlgorithm.ElGamal or KeyAlgorithm.ElGamalGeneral => "ElGamal-" + key.BitStrength,
        _ => Name(key),
    };

    private static string CurveName(PgpPublicKey key)
    {
        var oid = (key.PublicKeyPacket.Key as ECPublicBcpgKey)?.CurveOid?.Id;
        return oid switch
        {
            "1.3.6.1.4.1.11591.15.1" => "ed25519",
            "1.3.6.1.4.1.3029.1.5.1" => "cv25519",
            "1.2.840.10045.3.1.7" => "nistp256",
            "1.3.132.0.34" => "nistp384",
            "1.3.132.0.35" => "nistp521",
            "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
            "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
            "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
            _ => "ecc(" + (oid ?? "?") + ")",
        };
    }
}
