using System.Security.Cryptography;

namespace Keypost.Transparency.Log;

/// <summary>RFC 9162 §2.1.1 Merkle Tree hashing with SHA-256 and its domain-separation prefixes.</summary>
public static class MerkleHash
{
    public const int Size = 32;

    /// <summary>RFC 9162 §2.1.1: MTH({}) = SHA-256() for the empty tree.</summary>
    public static byte[] EmptyRoot() => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>RFC 9162 §2.1.1: MTH({d(0)}) = SHA-256(0x00 || d(0)).</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> data)
    {
        var buffer = data.Length < 1024 ? stackalloc byte[data.Length + 1] : new byte[data.Length + 1];
        buffer[0] = 0x00;
        data.CopyTo(buffer[1..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>RFC 9162 §2.1.1: SHA-256(0x01 || MTH(left) || MTH(right)).</summary>
    public static byte[] Node(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * Size];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The largest power of two strictly smaller than n (n &gt; 1): RFC 9162 §2.1.1's split point k.</summary>
    internal static long SplitPoint(long n) => 1L << (63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(n - 1)));
}
