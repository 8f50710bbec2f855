using System.Buffers.Binary;
using Keypost.Transparency.Map;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// The current binding of an address as the log keeps it in memory: one array instead of a record, a binding and
/// six arrays (about 215 bytes instead of about 480 at a million addresses). Layout: VRF proof || map key (32) ||
/// opening (16) || certificate hash (32) || u64 version || revoked (1) || [history (32), in logs with history
/// chains] || fingerprint. The commitment is not kept: the map's leaf holds it.
/// </summary>
internal static class PackedBinding
{
    public static byte[] Pack(StagedBinding staged)
    {
        var proof = staged.VrfProof.Length;
        var history = staged.Binding.History ?? [];
        var packed = new byte[proof + 32 + 16 + 32 + 8 + 1 + history.Length + staged.Binding.Fingerprint.Length];
        staged.VrfProof.CopyTo(packed, 0);
        staged.MapKey.CopyTo(packed, proof);
        staged.Opening.CopyTo(packed, proof + 32);
        staged.Binding.CertificateHash.CopyTo(packed, proof + 48);
        BinaryPrimitives.WriteInt64BigEndian(packed.AsSpan(proof + 80), staged.Binding.Version);
        packed[proof + 88] = staged.Binding.Revoked ? (byte)1 : (byte)0;
        history.CopyTo(packed, proof + 89);
        staged.Binding.Fingerprint.CopyTo(packed, proof + 89 + history.Length);
        return packed;
    }

    public static byte[] VrfProof(byte[] packed, int proofLength) => packed[..proofLength];

    public static byte[] MapKey(byte[] packed, int proofLength) => packed[proofLength..(proofLength + 32)];

    public static byte[] Opening(byte[] packed, int proofLength) => packed[(proofLength + 32)..(proofLength + 48)];

    /// <summary>The binding; <paramref name="historyLength"/> is 32 in a log with history chains, else 0.</summary>
    public static Binding Binding(byte[] packed, int proofLength, int historyLength) =>
        new(BinaryPrimitives.ReadInt64BigEndian(packed.AsSpan(proofLength + 80)), packed[(proofLength + 89 + historyLength)..],
            packed[(proofLength + 48)..(proofLength + 80)], packed[proofLength + 88] == 1)
        {
            History = historyLength == 0 ? null : packed[(proofLength + 89)..(proofLength + 89 + historyLength)],
        };
}
