using System.Buffers.Binary;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// One log entry: the map root of an epoch, the epoch's time and the VRF public key that keyed the map. The VRF key
/// rides in the logged entry so that clients need pin only the log's key, and a VRF key change is public.
/// </summary>
public sealed record EpochEntry(long Epoch, DateTimeOffset Time, byte[] MapRoot, byte[] VrfPublicKey)
{
    public const byte FormatVersion = 1;
    public const int Length = 1 + 8 + 8 + 32 + 33;

    /// <summary>0x01 || u64 epoch || i64 unix milliseconds || map root (32) || VRF public key (33, SEC1 compressed).</summary>
    public byte[] Encode()
    {
        var bytes = new byte[Length];
        bytes[0] = FormatVersion;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(1), Epoch);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(9), Time.ToUnixTimeMilliseconds());
        MapRoot.CopyTo(bytes, 17);
        VrfPublicKey.CopyTo(bytes, 49);
        return bytes;
    }

    public static EpochEntry? TryDecode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length || bytes[0] != FormatVersion)
        {
            return null;
        }

        var epoch = BinaryPrimitives.ReadInt64BigEndian(bytes[1..]);
        var millis = BinaryPrimitives.ReadInt64BigEndian(bytes[9..]);
        if (epoch < 0 || millis < 0 || millis > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return null;
        }

        return new EpochEntry(epoch, DateTimeOffset.FromUnixTimeMilliseconds(millis), bytes.Slice(17, 32).ToArray(), bytes.Slice(49, 33).ToArray());
    }
}
