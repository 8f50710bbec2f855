using Keypost.Transparency.Log;
using Keypost.Transparency.Tiles;

namespace Keypost.Transparency.Tests.Tiles;

public sealed class TileTests
{
    [Theory]
    [InlineData(0, "000")]
    [InlineData(67, "067")]
    [InlineData(1000, "x001/000")]
    [InlineData(1234067, "x001/x234/067")]
    public void Indexes_encode_as_the_spec_shows(long index, string path)
    {
        Assert.Equal(path, TileAddress.EncodeIndex(index));
        Assert.Equal(new TileAddress(0, index, 256), TileAddress.TryParse("0/" + path));
    }

    [Theory]
    [InlineData("0/x001/x234/067.p/8", 0, 1234067, 8)]
    [InlineData("entries/000.p/1", -1, 0, 1)]
    [InlineData("2/001", 2, 1, 256)]
    public void Paths_parse(string path, int level, long index, int width)
    {
        var address = TileAddress.TryParse(path);
        Assert.Equal(new TileAddress(level, index, width), address);
        Assert.Equal("tile/" + path, address!.Path());
    }

    [Theory]
    [InlineData("0/1234")]
    [InlineData("0/001/234")]
    [InlineData("0/x000/001")]
    [InlineData("64/000")]
    [InlineData("00/000")]
    [InlineData("0/000.p/0")]
    [InlineData("0/000.p/256")]
    [InlineData("0/000.p/08")]
    [InlineData("0/x01/000")]
    [InlineData("0")]
    public void Paths_outside_the_spec_are_refused(string path) => Assert.Null(TileAddress.TryParse(path));

    [Fact]
    public void A_tree_of_70000_has_the_tiles_the_spec_lists()
    {
        // C2SP tlog-tiles: 273 full level-0 tiles, a partial of 112, one full level-1 tile, a partial of 17, a level-2 of 1.
        Assert.Equal(256, TileReader.Available(70000, 0, 272));
        Assert.Equal(112, TileReader.Available(70000, 0, 273));
        Assert.Equal(0, TileReader.Available(70000, 0, 274));
        Assert.Equal(256, TileReader.Available(70000, 1, 0));
        Assert.Equal(17, TileReader.Available(70000, 1, 1));
        Assert.Equal(1, TileReader.Available(70000, 2, 0));
    }

    [Fact]
    public void Tiles_hold_the_subtree_hashes_and_rebuild_the_root()
    {
        var hashes = new MemoryLogHashes();
        for (var i = 0; i < 600; i++)
        {
            hashes.Append(MerkleHash.Leaf(BitConverter.GetBytes(i)));
        }

        Assert.Null(TileReader.ReadTile(hashes, 600, new TileAddress(0, 2, 256)));
        Assert.Null(TileReader.ReadTile(hashes, 600, new TileAddress(0, 2, 87)));
        var partial = TileReader.ReadTile(hashes, 600, new TileAddress(0, 2, 88))!;
        Assert.Equal(88 * 32, partial.Length);
        var level1 = TileReader.ReadTile(hashes, 600, new TileAddress(1, 0, 2))!;
        Assert.Equal(hashes.ReadHash(8, 1), level1[32..]);

        // Root of 600 = MTH(first 512) combined with MTH(last 88), all from tile contents.
        var leaves = Enumerable.Range(0, 88).Select(i => partial[(i * 32)..((i + 1) * 32)]).ToList();
        var tail = new MemoryLogHashes();
        leaves.ForEach(l => tail.Append(l));
        var root = MerkleHash.Node(MerkleHash.Node(level1[..32], level1[32..]), MerkleProofs.Root(tail, 88));
        Assert.Equal(MerkleProofs.Root(hashes, 600), root);
    }

    [Fact]
    public void Entry_bundles_round_trip_and_truncation_is_refused()
    {
        var bundle = TileReader.EntryBundle([[1, 2, 3], [], [4]]);
        Assert.Equal(3, TileReader.ParseEntryBundle(bundle).Count);
        Assert.Throws<FormatException>(() => TileReader.ParseEntryBundle(bundle[..^1]));
        Assert.Throws<FormatException>(() => TileReader.ParseEntryBundle(bundle[..1]));
    }
}
