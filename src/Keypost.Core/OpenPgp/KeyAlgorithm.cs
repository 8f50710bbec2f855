namespace Keypost.Core.OpenPgp;

/// <summary>Public-key algorithms, RFC 9580 §9.1 (with the legacy EdDSA and ECDH of RFC 4880bis).</summary>
public enum KeyAlgorithm
{
    Unknown = 0,
    Rsa = 1,
    RsaEncryptOnly = 2,
    RsaSignOnly = 3,
    ElGamal = 16,
    Dsa = 17,
    Ecdh = 18,
    Ecdsa = 19,
    ElGamalGeneral = 20,
    EdDsaLegacy = 22,
    X25519 = 25,
    X448 = 26,
    Ed25519 = 27,
    Ed448 = 28,
}
