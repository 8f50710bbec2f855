using System.Security.Cryptography;

namespace Keypost.Transparency.Map;

/// <summary>
/// A prefix-tree proof for one key: the siblings from the root down to where the search for the key ended (null
/// for an empty sibling), and what it found there: nothing, or a leaf of another key (absence), or the key's own
/// leaf (presence, its value known to the verifier).
/// </summary>
public sealed record MapProof(IReadOnlyList<byte[]?> Siblings, MapProofEnd End, byte[]? OtherKey = null, byte[]? OtherValue = null)
{
    /// <summary>The root this proof implies for <paramref name="key"/> having <paramref name="value"/> (null: absent).</summary>
    public byte[]? ImpliedRoot(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool present)
    {
        if (key.Length != PrefixTreeHash.KeyLength || Siblings.Count > 256 || Siblings.Any(s => s is not null && s.Length != 32))
        {
            return null;
        }

        byte[] hash;
        switch (End)
        {
            case MapProofEnd.Leaf when present && value.Length == PrefixTreeHash.ValueLength:
                hash = PrefixTreeHash.Leaf(key, value);
                break;
            case MapProofEnd.Empty when !present:
                hash = PrefixTreeHash.Empty();
                break;
            case MapProofEnd.OtherLeaf when !present && OtherKey is { Length: 32 } && OtherValue is { Length: 32 }:
                // The other leaf must sit on the key's path: same first bits, yet a different key.
                if (OtherKey.AsSpan().SequenceEqual(key) || !SharesPrefix(key, OtherKey, Siblings.Count))
                {
                    return null;
                }

                hash = PrefixTreeHash.Leaf(OtherKey, OtherValue);
                break;
            default:
                return null;
        }

        for (var depth = Siblings.Count - 1; depth >= 0; depth--)
        {
            var sibling = Siblings[depth] ?? PrefixTreeHash.Empty();
            hash = PrefixTreeHash.Bit(key, depth) == 0
                ? PrefixTreeHash.Branch(hash, sibling)
                : PrefixTreeHash.Branch(sibling, hash);
        }

        return hash;
    }

    public bool Verify(ReadOnlySpan<byte> root, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool present)
    {
        var implied = ImpliedRoot(key, value, present);
        return implied is not null && root.Length == 32 && CryptographicOperations.FixedTimeEquals(implied, root);
    }

    private static bool SharesPrefix(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int bits)
    {
        for (var i = 0; i < bits; i++)
        {
            if (PrefixTreeHash.Bit(a, i) != PrefixTreeHash.Bit(b, i))
            {
                return false;
            }
        }

        return true;
    }
}
