using Keypost.Transparency.Log;

namespace Keypost.Transparency.Tiles;

/// <summary>
/// The client side of C2SP tlog-tiles: rebuilds a tree's hashes from fetched level-0 tiles and entry bundles,
/// refusing a tile or bundle of the wrong length and entries that do not hash to their tile, so that a monitor can
/// recompute the checkpoint's root. Pure: the caller fetches.
/// </summary>
public static class TileTreeReader
{
    /// <summary>The tiles a tree of <paramref name="size"/> needs at level 0 (and the same paths for entry bundles).</summary>
    public static IEnumerable<TileAddress> LevelZero(long size)
    {
        for (long n = 0; n * TileAddress.FullWidth < size; n++)
        {
            yield return new TileAddress(0, n, (int)Math.Min(TileAddress.FullWidth, size - n * TileAddress.FullWidth));
        }
    }

    /// <summary>Checks one level-0 tile and its entry bundle and adds their leaves to <paramref name="hashes"/>.</summary>
    public static void AddTile(MemoryLogHashes hashes, TileAddress address, ReadOnlySpan<byte> tile, ReadOnlySpan<byte> bundle)
    {
        if (address.Level != 0 || address.Index * TileAddress.FullWidth != hashes.Size)
        {
            throw new FormatException($"tile {address.Path()} is not the next level-0 tile");
        }

        if (tile.Length != address.Width * MerkleHash.Size)
        {
            throw new FormatException($"tile {address.Path()} is truncated: {tile.Length} bytes for {address.Width} hashes");
        }

        var entries = TileReader.ParseEntryBundle(bundle);
        if (entries.Count != address.Width)
        {
            throw new FormatException($"entry bundle of {address.Path()} holds {entries.Count} entries, not {address.Width}");
        }

        for (var i = 0; i < address.Width; i++)
        {
            var leaf = tile.Slice(i * MerkleHash.Size, MerkleHash.Size);
            if (!MerkleHash.Leaf(entries[i]).AsSpan().SequenceEqual(leaf))
            {
                throw new FormatException($"entry {address.Index * TileAddress.FullWidth + i} does not hash to its tile");
            }
        }

        for (var i = 0; i < address.Width; i++)
        {
            hashes.Append(tile.Slice(i * MerkleHash.Size, MerkleHash.Size).ToArray());
        }
    }
}
