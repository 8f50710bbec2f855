namespace Keypost.Transparency.Log;

/// <summary>
/// Every full-subtree hash of a log, held in memory per level. Appending a leaf completes at most one subtree per
/// level, so an append costs O(log n) hashes and the tree is never rehashed.
/// </summary>
public sealed class MemoryLogHashes : ILogHashReader
{
    private readonly List<List<byte[]>> _levels = [[]];

    public long Size => _levels[0].Count;

    public byte[] ReadHash(int level, long index)
    {
        if (level >= _levels.Count || index >= _levels[level].Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"no complete subtree at level {level} index {index}");
        }

        return _levels[level][(int)index];
    }

    /// <summary>Adds one leaf hash; returns every hash that became complete, leaf first, for storage.</summary>
    public IReadOnlyList<LogNode> Append(byte[] leafHash)
    {
        if (leafHash.Length != MerkleHash.Size)
        {
            throw new ArgumentException("a leaf hash has 32 bytes", nameof(leafHash));
        }

        var added = new List<LogNode>();
        var level = 0;
        var hash = leafHash;
        while (true)
        {
            if (level == _levels.Count)
            {
                _levels.Add([]);
            }

            var row = _levels[level];
            row.Add(hash);
            added.Add(new LogNode(level, row.Count - 1, hash));
            if (row.Count % 2 == 1)
            {
                return added;
            }

            hash = MerkleHash.Node(row[^2], row[^1]);
            level++;
        }
    }

    /// <summary>Restores a hash read back from storage (in any order within a level's prefix).</summary>
    public void Load(LogNode node)
    {
        while (_levels.Count <= node.Level)
        {
            _levels.Add([]);
        }

        var row = _levels[node.Level];
        if (node.Index != row.Count)
        {
            throw new InvalidOperationException($"stored log hashes have a gap at level {node.Level} index {row.Count}");
        }

        row.Add(node.Hash);
    }
}
