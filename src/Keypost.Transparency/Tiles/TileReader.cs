using Keypost.Transparency.Log;

namespace Keypost.Transparency.Tiles;

/// <summary>
/// In charge of reading the log as C2SP tlog-tiles. Builds C2SP tlog-tiles hash tiles from a log's stored full-subtree hashes, for a given tree size.
/// </summary>
public static class TileReader
{
    public const int TileHeight = 8;

    /// <summary>
    /// The tile's bytes, or null when the tree of <paramref name="treeSize"/> does not have it (tiles beyond the tree,
    /// or a partial width other than the one this size implies). C2SP tlog-tiles: hash i of tile N at level L is
    /// MTH(D[(N·256+i)·256^L : (N·256+i+1)·256^L]), a full subtree at tree level 8L.
    /// </summary>
    public static byte[]? ReadTile(ILogHashReader hashes, long treeSize, TileAddress address)
    {
        if (address.IsEntries || address.Level > 7)
        {
            return null;
        }

        var available = Available(treeSize, address.Level, address.Index);
        if (available == 0 || (address.IsPartial ? available != address.Width : available < TileAddress.FullWidth))
        {
            return null;
        }

        var width = address.Width;
        var level = address.Level * TileHeight;
        var tile = new byte[width * MerkleHash.Size];
        for (var i = 0; i < width; i++)
        {
            hashes.ReadHash(level, address.Index * TileAddress.FullWidth + i).CopyTo(tile, i * MerkleHash.Size);
        }

        return tile;
    }

    /// <summary>How many hashes of tile <paramref name="index"/> at <paramref name="level"/> a tree of this size completes (0..256).</summary>
    public static int Available(long treeSize, int level, long index)
    {
        var hashesAtLevel = treeSize >> (TileHeight * level);
        var start = index * TileAddress.FullWidth;
        return (int)Math.Clamp(hashesAtLevel - start, 0, TileAddress.FullWidth);
    }

    /// <summary>Concatenates entries as a C2SP entry bundle: each a big-endian uint16 length, then the entry.</summary>
    public static byte[] EntryBundle(IEnumerable<byte[]> entries)
    {
        using var stream = new MemoryStream();
        Span<byte> length = stackalloc byte[2];
        foreach (var entry in entries)
        {
            if (entry.Length > ushort.MaxValue)
            {
                throw new ArgumentException("an entry in a bundle is at most 65535 bytes", nameof(entries));
            }

            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)entry.Length);
            stream.Write(length);
            stream.Write(entry);
        }

        return stream.ToArray();
    }

    /// <summary>Splits an entry bundle; throws when it is truncated or has trailing bytes.</summary>
    public static IReadOnlyList<byte[]> ParseEntryBundle(ReadOnlySpan<byte> bundle)
    {
        var entries = new List<byte[]>();
        while (bundle.Length > 0)
        {
            if (bundle.Length < 2)
            {
                throw new FormatException("the entry bundle ends inside a length prefix");
            }

            int length = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bundle);
            if (bundle.Length < 2 + length)
            {
                throw new FormatException("the entry bundle ends inside an entry");
            }

            entries.Add(bundle.Slice(2, length).ToArray());
            bundle = bundle[(2 + length)..];
        }

        return entries;
    }
}
