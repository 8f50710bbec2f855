using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Keypost.Transparency.Map;

/// <summary>
/// The hash chain of an address's history (docs/transparency.md, "History chain"): H0 = 32 zero bytes,
/// Hv = SHA-256("keypost-kt-history-v1" 0x00 || H(v-1) || u64 version || u64 epoch || u8 len || fingerprint ||
/// certificate hash (32) || revoked). The commitment to version v covers H(v-1), so a proof of the newest binding
/// also proves every earlier version, including those published and replaced within one epoch.
/// </summary>
public static class BindingHistory
{
    public const int Length = 32;
    private static readonly byte[] Context = "keypost-kt-history-v1\0"u8.ToArray();

    /// <summary>The chain before version 1.</summary>
    public static byte[] Start() => new byte[Length];

    public static byte[] Next(ReadOnlySpan<byte> previous, HistoryRecord record)
    {
        if (previous.Length != Length || record.CertificateHash.Length != 32 || record.Fingerprint.Length is 0 or > 255)
        {
            throw new ArgumentException("a history step takes a 32-byte chain, a 1..255-byte fingerprint and a 32-byte hash");
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        hash.AppendData(Context);
        hash.AppendData(previous);
        BinaryPrimitives.WriteInt64BigEndian(number, record.Version);
        hash.AppendData(number);
        BinaryPrimitives.WriteInt64BigEndian(number, record.Epoch);
        hash.AppendData(number);
        hash.AppendData([(byte)record.Fingerprint.Length]);
        hash.AppendData(record.Fingerprint);
        hash.AppendData(record.CertificateHash);
        hash.AppendData([record.Revoked ? (byte)1 : (byte)0]);
        return hash.GetHashAndReset();
    }
}
