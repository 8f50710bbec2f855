using System.Buffers.Binary;
using Keypost.Transparency.Map;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Lookup;

/// <summary>The binary encoding of a <see cref="LookupProof"/> (docs/transparency.md, "Lookup proof").</summary>
public static class LookupProofCodec
{
    public const string MediaType = "application/vnd.keypost.lookup-proof";
    private static readonly byte[] Magic = "KPLP"u8.ToArray();

    // Version 1: P-256 logs, byte for byte as before the suite existed. Version 2: a u16 suite after the version.
    private const byte Version = 1;
    private const byte SuiteVersion = 2;

    // Version 3: a log with history chains (any suite): as version 2, the binding followed by its history (32).
    private const byte HistoryVersion = 3;

    public static byte[] Encode(LookupProof proof)
    {
        using var stream = new MemoryStream();
        if (proof.VrfProof.Length != KtVrf.ProofLength(proof.Suite))
        {
            throw new ArgumentException($"a {proof.Suite} VRF proof has {KtVrf.ProofLength(proof.Suite)} bytes");
        }

        stream.Write(Magic);
        if (proof.Suite == VrfSuite.P256 && !proof.History)
        {
            stream.WriteByte(Version);
        }
        else
        {
            stream.WriteByte(proof.History ? HistoryVersion : SuiteVersion);
            stream.WriteByte((byte)((ushort)proof.Suite >> 8));
            stream.WriteByte((byte)proof.Suite);
        }

        stream.Write(proof.VrfProof);
        stream.WriteByte((byte)proof.MapProof.End);
        var siblings = proof.MapProof.Siblings;
        Span<byte> depth = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(depth, checked((ushort)siblings.Count));
        stream.Write(depth);
        var bitmap = new byte[(siblings.Count + 7) / 8];
        for (var i = 0; i < siblings.Count; i++)
        {
            if (siblings[i] is not null)
            {
                bitmap[i >> 3] |= (byte)(0x80 >> (i & 7));
            }
        }

        stream.Write(bitmap);
        foreach (var sibling in siblings)
        {
            if (sibling is not null)
            {
                stream.Write(sibling);
            }
        }

        switch (proof.MapProof.End)
        {
            case MapProofEnd.OtherLeaf:
                stream.Write(proof.MapProof.OtherKey);
                stream.Write(proof.MapProof.OtherValue);
                break;
            case MapProofEnd.Leaf:
                var binding = proof.Binding ?? throw new ArgumentException("a presence proof carries its binding");
                WriteInt64(stream, binding.Version);
                stream.WriteByte(binding.Revoked ? (byte)1 : (byte)0);
                stream.WriteByte(checked((byte)binding.Fingerprint.Length));
                stream.Write(binding.Fingerprint);
                stream.Write(binding.CertificateHash);
                stream.Write(proof.Opening ?? throw new ArgumentException("a presence proof carries its opening"));
                if (proof.History != binding.History is not null)
                {
                    throw new ArgumentException("a binding carries a history chain exactly in a log with history chains");
                }

                if (binding.History is not null)
                {
                    stream.Write(binding.History);
                }

                break;
        }

        stream.Write(proof.Entry);
        WriteHashes(stream, proof.Inclusion);
        WriteInt64(stream, proof.ConsistencyFrom);
        WriteHashes(stream, proof.Consistency);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, checked((ushort)proof.Checkpoint.Length));
        stream.Write(length);
        stream.Write(proof.Checkpoint);
        return stream.ToArray();
    }

    /// <summary>Decodes strictly: any truncation, bad length, unknown value or trailing byte throws <see cref="LookupException"/>.</summary>
    public static LookupProof Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        if (!reader.Take(4).SequenceEqual(Magic))
        {
            throw Malformed("not a Keypost lookup proof (magic)");
        }

        var format = reader.Byte();
        var suite = format switch
        {
            Version => VrfSuite.P256,
            SuiteVersion or HistoryVersion => (VrfSuite)reader.UInt16(),
            _ => throw Malformed("unknown lookup proof version"),
        };

        // Version 2 never names P-256: one proof, one encoding.
        var history = format == HistoryVersion;
        if (!KtVrf.IsKnown(suite) || (suite == VrfSuite.P256 && format == SuiteVersion))
        {
            throw Malformed($"unknown VRF suite {(ushort)suite}");
        }

        var vrf = reader.Take(KtVrf.ProofLength(suite)).ToArray();
        var end = reader.Byte();
        if (end > (byte)MapProofEnd.OtherLeaf)
        {
            throw Malformed("unknown map proof end");
        }

        // Keys differing only in their last bit put leaves at depth 256.
        int depth = reader.UInt16();
        if (depth > 256)
        {
            throw Malformed("a prefix-tree path is at most 256 deep");
        }

        var bitmap = reader.Take((depth + 7) / 8).ToArray();
        var siblings = new List<byte[]?>(depth);
        for (var i = 0; i < depth; i++)
        {
            siblings.Add((bitmap[i >> 3] & (0x80 >> (i & 7))) != 0 ? reader.Take(32).ToArray() : null);
        }

        // Unused bitmap bits must be zero: one proof, one encoding.
        if (depth % 8 != 0 && (bitmap[^1] & (0xff >> (depth % 8))) != 0)
        {
            throw Malformed("stray bits in the sibling bitmap");
        }

        byte[]? otherKey = null, otherValue = null, opening = null;
        Binding? binding = null;
        if (end == (byte)MapProofEnd.OtherLeaf)
        {
            otherKey = reader.Take(32).ToArray();
            otherValue = reader.Take(32).ToArray();
        }
        else if (end == (byte)MapProofEnd.Leaf)
        {
            var version = reader.Int64();
            var revoked = reader.Byte();
            int fingerprintLength = reader.Byte();
            if (version < 1 || revoked > 1 || fingerprintLength == 0)
            {
                throw Malformed("bad binding fields");
            }

            var fingerprint = reader.Take(fingerprintLength).ToArray();
            var certificateHash = reader.Take(32).ToArray();
            opening = reader.Take(BindingCommitment.OpeningLength).ToArray();
            binding = new Binding(version, fingerprint, certificateHash, revoked == 1)
            {
                History = history ? reader.Take(BindingHistory.Length).ToArray() : null,
            };
        }

        var entry = reader.Take(EpochEntry.EncodedLength(suite, history)).ToArray();
        var inclusion = ReadHashes(ref reader);
        var from = reader.Int64();
        var consistency = ReadHashes(ref reader);
        int checkpointLength = reader.UInt16();
        var checkpoint = reader.Take(checkpointLength).ToArray();
        if (!reader.AtEnd)
        {
            throw Malformed("trailing bytes after the checkpoint");
        }

        if (from < 0)
        {
            throw Malformed("negative consistency size");
        }

        return new LookupProof(vrf, new MapProof(siblings, (MapProofEnd)end, otherKey, otherValue), binding, opening, entry,
            inclusion, from, consistency, checkpoint, suite, history);
    }

    private static List<byte[]> ReadHashes(ref Reader reader)
    {
        int count = reader.Byte();
        if (count > 64)
        {
            throw Malformed("more than 64 hashes in a log proof");
        }

        var hashes = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            hashes.Add(reader.Take(32).ToArray());
        }

        return hashes;
    }

    private static void WriteHashes(Stream stream, IReadOnlyList<byte[]> hashes)
    {
        stream.WriteByte(checked((byte)hashes.Count));
        foreach (var hash in hashes)
        {
            stream.Write(hash);
        }
    }

    private static void WriteInt64(Stream stream, long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(buffer, value);
        stream.Write(buffer);
    }

    private static LookupException Malformed(string message) => new(LookupCheck.Malformed, message);

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private ReadOnlySpan<byte> _rest = bytes;

        public readonly bool AtEnd => _rest.IsEmpty;

        public ReadOnlySpan<byte> Take(int count)
        {
            if (_rest.Length < count)
            {
                throw Malformed("the proof is truncated");
            }

            var taken = _rest[..count];
            _rest = _rest[count..];
            return taken;
        }

        public byte Byte() => Take(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));
    }
}
