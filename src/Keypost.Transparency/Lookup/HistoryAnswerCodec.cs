using System.Buffers.Binary;
using Keypost.Transparency.Map;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// The history answer (docs/transparency.md, "History answer"): the records of consecutive versions of one address,
/// which a monitor hashes forward (<see cref="BindingHistory"/>) to the chain a proven binding commits to.
/// <c>"KPHS" || 0x01 || u16 n || n × (u64 version || u64 epoch || revoked (u8 0/1) || u8 len || fingerprint ||
/// certificate hash (32))</c>, versions consecutive and ascending. Decoding is strict.
/// </summary>
public static class HistoryAnswerCodec
{
    public const string MediaType = "application/vnd.keypost.history";

    /// <summary>At most this many records per answer; a monitor further behind asks again from the last one.</summary>
    public const int MaxRecords = 1000;

    private static readonly byte[] Magic = "KPHS"u8.ToArray();
    private const byte Version = 1;

    public static byte[] Encode(IReadOnlyList<HistoryRecord> records)
    {
        if (records.Count > MaxRecords)
        {
            throw new ArgumentException($"a history answer holds at most {MaxRecords} records", nameof(records));
        }

        using var stream = new MemoryStream();
        stream.Write(Magic);
        stream.WriteByte(Version);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(number, (ushort)records.Count);
        stream.Write(number[..2]);
        foreach (var record in records)
        {
            if (record.Fingerprint.Length is 0 or > 255 || record.CertificateHash.Length != 32)
            {
                throw new ArgumentException("a history record has a 1..255-byte fingerprint and a 32-byte hash", nameof(records));
            }

            BinaryPrimitives.WriteInt64BigEndian(number, record.Version);
            stream.Write(number);
            BinaryPrimitives.WriteInt64BigEndian(number, record.Epoch);
            stream.Write(number);
            stream.WriteByte(record.Revoked ? (byte)1 : (byte)0);
            stream.WriteByte((byte)record.Fingerprint.Length);
            stream.Write(record.Fingerprint);
            stream.Write(record.CertificateHash);
        }

        return stream.ToArray();
    }

    /// <summary>Decodes strictly: truncation, unknown values, non-consecutive versions or trailing bytes throw <see cref="LookupException"/>.</summary>
    public static IReadOnlyList<HistoryRecord> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 7 || !bytes[..4].SequenceEqual(Magic) || bytes[4] != Version)
        {
            throw Malformed("not a Keypost history answer (magic or version)");
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(bytes[5..]);
        if (count > MaxRecords)
        {
            throw Malformed($"more than {MaxRecords} history records");
        }

        var rest = bytes[7..];
        var records = new List<HistoryRecord>(count);
        for (var i = 0; i < count; i++)
        {
            if (rest.Length < 18)
            {
                throw Malformed("the history answer is truncated");
            }

            var version = BinaryPrimitives.ReadInt64BigEndian(rest);
            var epoch = BinaryPrimitives.ReadInt64BigEndian(rest[8..]);
            var revoked = rest[16];
            int length = rest[17];
            if (version < 1 || epoch < 0 || revoked > 1 || length == 0 || (records.Count > 0 && version != records[^1].Version + 1)
                || (records.Count > 0 && epoch < records[^1].Epoch))
            {
                throw Malformed("bad history record fields (versions consecutive, epochs ascending)");
            }

            if (rest.Length < 18 + length + 32)
            {
                throw Malformed("the history answer is truncated");
            }

            records.Add(new HistoryRecord(version, epoch, rest.Slice(18, length).ToArray(), rest.Slice(18 + length, 32).ToArray(), revoked == 1));
            rest = rest[(18 + length + 32)..];
        }

        if (!rest.IsEmpty)
        {
            throw Malformed("trailing bytes after the history records");
        }

        return records;
    }

    private static LookupException Malformed(string message) => new(LookupCheck.Malformed, message);
}
