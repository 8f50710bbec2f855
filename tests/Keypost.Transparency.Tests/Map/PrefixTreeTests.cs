using System.Security.Cryptography;
using Keypost.Transparency.Map;

namespace Keypost.Transparency.Tests.Map;

public sealed class PrefixTreeTests
{
    [Fact]
    public void Presence_and_absence_proofs_verify_and_cannot_be_swapped()
    {
        var tree = new PrefixTree();
        var keys = Enumerable.Range(0, 500).Select(i => SHA256.HashData(BitConverter.GetBytes(i))).ToList();
        foreach (var key in keys)
        {
            tree.Set(key, SHA256.HashData(key));
        }

        var root = tree.Root();
        foreach (var key in keys.Take(50))
        {
            var proof = tree.Prove(key);
            Assert.Equal(MapProofEnd.Leaf, proof.End);
            Assert.True(proof.Verify(root, key, SHA256.HashData(key), present: true));
            Assert.False(proof.Verify(root, key, new byte[32], present: true));
            Assert.False(proof.Verify(root, key, [], present: false));
        }

        for (var i = 1000; i < 1050; i++)
        {
            var missing = SHA256.HashData(BitConverter.GetBytes(i));
            var proof = tree.Prove(missing);
            Assert.NotEqual(MapProofEnd.Leaf, proof.End);
            Assert.True(proof.Verify(root, missing, [], present: false));
            Assert.False(proof.Verify(root, missing, SHA256.HashData(missing), present: true));
        }
    }

    [Fact]
    public void The_root_depends_on_contents_not_on_insertion_order_or_batching()
    {
        var keys = Enumerable.Range(0, 300).Select(i => SHA256.HashData(BitConverter.GetBytes(i))).ToList();
        var a = new PrefixTree();
        var b = new PrefixTree();
        foreach (var key in keys)
        {
            a.Set(key, key);
            a.Root();
        }

        foreach (var key in Enumerable.Reverse(keys))
        {
            b.Set(key, new byte[32]);
            b.Set(key, key);
        }

        Assert.Equal(a.Root(), b.Root());
        Assert.Equal(300, b.Count);
        b.Set(keys[7], new byte[32]);
        Assert.NotEqual(a.Root(), b.Root());
    }

    [Fact]
    public void A_proof_for_one_key_does_not_verify_for_a_neighbour()
    {
        var tree = new PrefixTree();
        var key = new byte[32];
        var neighbour = new byte[32];
        neighbour[31] = 1;
        tree.Set(key, new byte[32]);
        tree.Set(neighbour, new byte[32]);
        var proof = tree.Prove(key);
        Assert.Equal(256, proof.Siblings.Count);
        Assert.True(proof.Verify(tree.Root(), key, new byte[32], true));
        Assert.False(proof.Verify(tree.Root(), neighbour, new byte[32], true));
    }

    [Fact]
    public void The_empty_tree_proves_every_key_absent()
    {
        var tree = new PrefixTree();
        var proof = tree.Prove(new byte[32]);
        Assert.True(proof.Verify(tree.Root(), new byte[32], [], false));
    }
}
