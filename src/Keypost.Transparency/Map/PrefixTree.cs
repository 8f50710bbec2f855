namespace Keypost.Transparency.Map;

/// <summary>
/// In charge of the map: the prefix tree from VRF outputs to binding commitments, with its proofs.
/// A binary prefix tree (compressed trie) over 32-byte keys with 32-byte values, in the spirit of KEYTRANS's
/// prefix tree: each leaf sits at the shallowest depth where its key's prefix is unique. Updates only mark their
/// path dirty; <see cref="Root"/> rehashes the dirty paths once per batch, so an epoch of k changes costs about
/// k·log2(n) hashes, never a rehash of the whole tree. Keys are never removed (a revocation is a new value).
/// Not thread-safe: the owner serialises updates and proofs.
/// </summary>
public sealed class PrefixTree
{
    private Node? _root;

    public long Count { get; private set; }

    /// <summary>Inserts or replaces the value of <paramref name="key"/>.</summary>
    public void Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (key.Length != PrefixTreeHash.KeyLength || value.Length != PrefixTreeHash.ValueLength)
        {
            throw new ArgumentException("prefix-tree keys and values have 32 bytes");
        }

        var leaf = new Leaf([.. key, .. value]);
        _root = Insert(_root, leaf, 0);
    }

    /// <summary>The root hash, rehashing only what changed since the last call.</summary>
    public byte[] Root() => _root is null ? PrefixTreeHash.Empty() : HashOf(_root);

    /// <summary>The value stored for <paramref name="key"/>, if any.</summary>
    public byte[]? Find(ReadOnlySpan<byte> key)
    {
        var node = _root;
        var depth = 0;
        while (node is Branch branch)
        {
            node = PrefixTreeHash.Bit(key, depth++) == 0 ? branch.Left : branch.Right;
        }

        return node is Leaf leaf && leaf.Key.SequenceEqual(key) ? leaf.Value.ToArray() : null;
    }

    /// <summary>A proof of presence or absence of <paramref name="key"/> against <see cref="Root"/>.</summary>
    public MapProof Prove(ReadOnlySpan<byte> key)
    {
        if (key.Length != PrefixTreeHash.KeyLength)
        {
            throw new ArgumentException("prefix-tree keys have 32 bytes", nameof(key));
        }

        var siblings = new List<byte[]?>();
        var node = _root;
        var depth = 0;
        while (node is Branch branch)
        {
            var right = PrefixTreeHash.Bit(key, depth++) == 1;
            var sibling = right ? branch.Left : branch.Right;
            siblings.Add(sibling is null ? null : HashOf(sibling));
            node = right ? branch.Right : branch.Left;
        }

        return node switch
        {
            null => new MapProof(siblings, MapProofEnd.Empty),
            Leaf leaf when leaf.Key.SequenceEqual(key) => new MapProof(siblings, MapProofEnd.Leaf),
            Leaf leaf => new MapProof(siblings, MapProofEnd.OtherLeaf, leaf.Key.ToArray(), leaf.Value.ToArray()),
            _ => throw new InvalidOperationException("unreachable"),
        };
    }

    private Node Insert(Node? node, Leaf leaf, int depth)
    {
        switch (node)
        {
            case null:
                Count++;
                return leaf;
            case Leaf existing when existing.Key.SequenceEqual(leaf.Key):
                return leaf;
            case Leaf existing:
                return Split(existing, leaf, depth);
            case Branch branch:
                branch.Hash = null;
                if (PrefixTreeHash.Bit(leaf.Key, depth) == 0)
                {
                    branch.Left = Insert(branch.Left, leaf, depth + 1);
                }
                else
                {
                    branch.Right = Insert(branch.Right, leaf, depth + 1);
                }

                return branch;
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    private Branch Split(Leaf existing, Leaf added, int depth)
    {
        Count++;
        var top = new Branch();
        var branch = top;
        while (true)
        {
            var a = PrefixTreeHash.Bit(existing.Key, depth);
            var b = PrefixTreeHash.Bit(added.Key, depth);
            if (a != b)
            {
                branch.Left = a == 0 ? existing : added;
                branch.Right = a == 0 ? added : existing;
                return top;
            }

            var next = new Branch();
            if (a == 0)
            {
                branch.Left = next;
            }
            else
            {
                branch.Right = next;
            }

            branch = next;
            depth++;
        }
    }

    private static byte[] HashOf(Node node)
    {
        switch (node)
        {
            case Leaf leaf:
                return PrefixTreeHash.Leaf(leaf.Key, leaf.Value);
            case Branch { Hash: { } hash }:
                return hash;
            case Branch branch:
                var left = branch.Left is null ? PrefixTreeHash.Empty() : HashOf(branch.Left);
                var right = branch.Right is null ? PrefixTreeHash.Empty() : HashOf(branch.Right);
                branch.Hash = PrefixTreeHash.Branch(left, right);
                return branch.Hash;
            default:
                throw new InvalidOperationException("unreachable");
        }
    }

    private abstract class Node;

    private sealed class Leaf(byte[] keyAndValue) : Node
    {
        public ReadOnlySpan<byte> Key => keyAndValue.AsSpan(0, 32);

        public ReadOnlySpan<byte> Value => keyAndValue.AsSpan(32, 32);
    }

    private sealed class Branch : Node
    {
        public Node? Left { get; set; }

        public Node? Right { get; set; }

        public byte[]? Hash { get; set; }
    }
}
