using System.Buffers.Binary;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// One log entry: the map root of an epoch, the epoch's time and the VRF public key that keyed the map, with its
/// suite. The VRF key rides in the logged entry so that clients need pin only the log's key, and a VRF key (or
/// suite) change is public. <see cref="History"/>: the log's commitments carry history chains (format 3).
/// </summary>
public sealed record EpochEntry(long Epoch, DateTimeOffset Time, byte[] MapRoot, byte[] VrfPublicKey, VrfSuite Suite = VrfSuite.P256, bool History = false)
{
    /// <summary>Format 1: P-256 logs (no suite field; kept byte for byte so existing logs replay and verify).</summary>
    public const byte FormatVersion = 1;

    /// <summary>Format 2: carries the suite; every suite but P-256.</summary>
    public const byte SuiteFormatVersion = 2;

    /// <summary>Format 3: as format 2 (any suite), in a log whose commitments carry history chains (BindingHistory).</summary>
    public const byte HistoryFormatVersion = 3;

    /// <summary>The length of a format-1 (P-256) entry.</summary>
    public const int Length = 1 + 8 + 8 + 32 + 33;

    /// <summary>The encoded length of an entry of <paramref name="suite"/>.</summary>
    public static int EncodedLength(VrfSuite suite, bool history = false) =>
        suite == VrfSuite.P256 && !history ? Length : 1 + 2 + 8 + 8 + 32 + KtVrf.PublicKeyLength(suite);

    /// <summary>
    /// P-256: 0x01 || u64 epoch || i64 unix milliseconds || map root (32) || VRF public key (33, SEC1 compressed).
    /// Others: 0x02 || u16 suite || u64 epoch || i64 unix milliseconds || map root (32) || VRF public key
    /// (32 for Ed25519, RFC 8032 encoding). With history chains: 0x03, then as format 2 (any suite). Big-endian.
    /// </summary>
    public byte[] Encode()
    {
        if (VrfPublicKey.Length != KtVrf.PublicKeyLength(Suite))
        {
            throw new InvalidOperationException($"a {Suite} VRF public key has {KtVrf.PublicKeyLength(Suite)} bytes");
        }

        var bytes = new byte[EncodedLength(Suite, History)];
        var offset = 1;
        if (Suite == VrfSuite.P256 && !History)
        {
            bytes[0] = FormatVersion;
        }
        else
        {
            bytes[0] = History ? HistoryFormatVersion : SuiteFormatVersion;
            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), (ushort)Suite);
            offset = 3;
        }

        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(offset), Epoch);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(offset + 8), Time.ToUnixTimeMilliseconds());
        MapRoot.CopyTo(bytes, offset + 16);
        VrfPublicKey.CopyTo(bytes, offset + 48);
        return bytes;
    }

    /// <summary>The length of the entry that starts <paramref name="bytes"/>, from its first bytes; null when unknown.</summary>
    public static int? EncodedLengthAt(ReadOnlySpan<byte> bytes)
    {
        return SuiteAt(bytes) is { } format ? EncodedLength(format.Suite, format.History) : null;
    }

    public static EpochEntry? TryDecode(ReadOnlySpan<byte> bytes)
    {
        if (SuiteAt(bytes) is not var (suite, history) || bytes.Length != EncodedLength(suite, history))
        {
            return null;
        }

        var offset = bytes[0] == FormatVersion ? 1 : 3;
        var epoch = BinaryPrimitives.ReadInt64BigEndian(bytes[offset..]);
        var millis = BinaryPrimitives.ReadInt64BigEndian(bytes[(offset + 8)..]);
        if (epoch < 0 || millis < 0 || millis > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }

        return new EpochEntry(epoch, DateTimeOffset.FromUnixTimeMilliseconds(millis), bytes.Slice(offset + 16, 32).ToArray(),
            bytes[(offset + 48)..].ToArray(), suite, history);
    }

    private static (VrfSuite Suite, bool History)? SuiteAt(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 1 && bytes[0] == FormatVersion)
        {
            return (VrfSuite.P256, false);
        }

        if (bytes.Length >= 3 && bytes[0] == SuiteFormatVersion)
        {
            // Format 2 never carries P-256 (one suite, one encoding).
            var suite = (VrfSuite)BinaryPrimitives.ReadUInt16BigEndian(bytes[1..]);
            return suite != VrfSuite.P256 && KtVrf.IsKnown(suite) ? (suite, false) : null;
        }

        if (bytes.Length >= 3 && bytes[0] == HistoryFormatVersion)
        {
            var suite = (VrfSuite)BinaryPrimitives.ReadUInt16BigEndian(bytes[1..]);
            return KtVrf.IsKnown(suite) ? (suite, true) : null;
        }

        return null;
    }
}
