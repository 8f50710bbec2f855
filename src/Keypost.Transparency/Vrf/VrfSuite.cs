namespace Keypost.Transparency.Vrf;

/// <summary>
/// The VRF a log keys its map with, numbered as KEYTRANS's CipherSuite registry
/// (draft-ietf-keytrans-protocol-06): the number is recorded in every log entry and in version 2 lookup proofs.
/// </summary>
public enum VrfSuite : ushort
{
    /// <summary>KT_128_SHA256_P256: ECVRF-P256-SHA256-TAI (RFC 9381 §5.5, suite string 0x01). Logs before #8's Ed25519 suite.</summary>
    P256 = 0x0001,

    /// <summary>KT_128_SHA256_Ed25519: ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381 §5.5, suite string 0x03). New logs.</summary>
    Ed25519 = 0x0002,
}
