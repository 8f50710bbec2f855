using System.Security.Cryptography;

namespace Keypost.Transparency.Log;

/// <summary>
/// In charge of the Merkle log: RFC 9162 hashing, inclusion and consistency proofs. Tree heads, inclusion and consistency proofs over stored full-subtree hashes (RFC 9162 §2.1).
/// </summary>
public static class MerkleProofs
{
    /// <summary>MTH(D[0:size]) from the stored full subtrees.</summary>
    public static byte[] Root(ILogHashReader hashes, long size) =>
        size == 0 ? MerkleHash.EmptyRoot() : Subtree(hashes, 0, size);

    /// <summary>RFC 9162 §2.1.3.1: PATH(m, D[0:n]), leaf side first.</summary>
    public static IReadOnlyList<byte[]> Inclusion(ILogHashReader hashes, long index, long size)
    {
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "the leaf is not in the tree of that size");
        }

        var path = new List<byte[]>();
        InclusionPath(hashes, index, 0, size, path);
        return path;
    }

    /// <summary>RFC 9162 §2.1.4.1: PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true).</summary>
    public static IReadOnlyList<byte[]> Consistency(ILogHashReader hashes, long oldSize, long newSize)
    {
        if (oldSize < 0 || oldSize > newSize)
        {
            throw new ArgumentOutOfRangeException(nameof(oldSize), "the old size must lie between 0 and the new size");
        }

        var path = new List<byte[]>();
        if (oldSize > 0 && oldSize < newSize)
        {
            SubProof(hashes, oldSize, 0, newSize, true, path);
        }

        return path;
    }

    /// <summary>RFC 9162 §2.1.3.2: recomputes the root from a leaf hash and its path; false when they do not meet.</summary>
    public static bool VerifyInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> path, ReadOnlySpan<byte> root)
    {
        if (index < 0 || index >= size || leafHash.Length != MerkleHash.Size || root.Length != MerkleHash.Size)
        {
            return false;
        }

        var computed = RootFromInclusion(index, size, leafHash, path);
        return computed is not null && CryptographicOperations.FixedTimeEquals(computed, root);
    }

    /// <summary>The root that an inclusion path implies, or null when the path has the wrong shape.</summary>
    public static byte[]? RootFromInclusion(long index, long size, ReadOnlySpan<byte> leafHash, IReadOnlyList<byte[]> path)
    {
        if (index < 0 || index >= size || leafHash.Length != MerkleHash.Size)
        {
            return null;
        }

        var fn = index;
        var sn = size - 1;
        var r = leafHash.ToArray();
        foreach (var p in path)
        {
            if (sn == 0 || p.Length != MerkleHash.Size)
            {
                return null;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = MerkleHash.Node(p, r);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                r = MerkleHash.Node(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 ? r : null;
    }

    /// <summary>RFC 9162 §2.1.4.2: true when the tree of newSize extends the tree of oldSize.</summary>
    public static bool VerifyConsistency(long oldSize, long newSize, ReadOnlySpan<byte> oldRoot, ReadOnlySpan<byte> newRoot, IReadOnlyList<byte[]> path)
    {
        // A proof from the empty tree proves nothing (every tree extends it), so it is never accepted.
        if (oldSize <= 0 || oldSize > newSize)
        {
            return false;
        }

        if (oldSize == newSize)
        {
            return path.Count == 0 && oldRoot.SequenceEqual(newRoot);
        }

        if (oldRoot.Length != MerkleHash.Size || newRoot.Length != MerkleHash.Size)
        {
            return false;
        }

        if (path.Count == 0 || path.Any(p => p.Length != MerkleHash.Size))
        {
            return false;
        }

        var proof = path;
        if ((oldSize & (oldSize - 1)) == 0)
        {
            proof = [oldRoot.ToArray(), .. path];
        }

        var fn = oldSize - 1;
        var sn = newSize - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }

        var fr = proof[0];
        var sr = proof[0];
        for (var i = 1; i < proof.Count; i++)
        {
            var c = proof[i];
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                fr = MerkleHash.Node(c, fr);
                sr = MerkleHash.Node(c, sr);
                while ((fn & 1) == 0 && fn != 0)
                {
                    fn >>= 1;
                    sn >>= 1;
                }
            }
            else
            {
                sr = MerkleHash.Node(sr, c);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0
            && CryptographicOperations.FixedTimeEquals(fr, oldRoot)
            && CryptographicOperations.FixedTimeEquals(sr, newRoot);
    }

    /// <summary>MTH(D[start:end]); the left part of every RFC 9162 split is a full, aligned subtree.</summary>
    internal static byte[] Subtree(ILogHashReader hashes, long start, long end)
    {
        var n = end - start;
        if ((n & (n - 1)) == 0 && start % n == 0)
        {
            var level = System.Numerics.BitOperations.Log2((ulong)n);
            return hashes.ReadHash(level, start >> level);
        }

        var k = MerkleHash.SplitPoint(n);
        return MerkleHash.Node(Subtree(hashes, start, start + k), Subtree(hashes, start + k, end));
    }

    private static void InclusionPath(ILogHashReader hashes, long m, long start, long end, List<byte[]> path)
    {
        var n = end - start;
        if (n == 1)
        {
            return;
        }

        var k = MerkleHash.SplitPoint(n);
        if (m < k)
        {
            InclusionPath(hashes, m, start, start + k, path);
            path.Add(Subtree(hashes, start + k, end));
        }
        else
        {
            InclusionPath(hashes, m - k, start + k, end, path);
            path.Add(Subtree(hashes, start, start + k));
        }
    }

    private static void SubProof(ILogHashReader hashes, long m, long start, long end, bool whole, List<byte[]> path)
    {
        var n = end - start;
        if (m == n)
        {
            if (!whole)
            {
                path.Add(Subtree(hashes, start, end));
            }

            return;
        }

        var k = MerkleHash.SplitPoint(n);
        if (m <= k)
        {
            SubProof(hashes, m, start, start + k, whole, path);
            path.Add(Subtree(hashes, start + k, end));
        }
        else
        {
            SubProof(hashes, m - k, start + k, end, false, path);
            path.Add(Subtree(hashes, start, start + k));
        }
    }
}
