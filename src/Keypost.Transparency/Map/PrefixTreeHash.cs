using System.Security.Cryptography;

namespace Keypost.Transparency.Map;

/// <summary>The prefix tree's hashing (docs/transparency.md, "Prefix tree"); an empty subtree is 32 zero bytes.</summary>
public static class PrefixTreeHash
{
    public const int KeyLength = 32;
    public const int ValueLength = 32;

    public static byte[] Empty() => new byte[32];

    /// <summary>SHA-256(0x02 || key || value): the full key is hashed, so a leaf means the same at any depth.</summary>
    public static byte[] Leaf(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Span<byte> buffer = stackalloc byte[1 + KeyLength + ValueLength];
        buffer[0] = 0x02;
        key.CopyTo(buffer[1..]);
        value.CopyTo(buffer[(1 + KeyLength)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>SHA-256(0x01 || left || right), with 32 zero bytes for an empty child.</summary>
    public static byte[] Branch(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[65];
        buffer[0] = 0x01;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[33..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>Bit <paramref name="depth"/> of a key, most significant bit of byte 0 first; 1 goes right.</summary>
    public static int Bit(ReadOnlySpan<byte> key, int depth) => (key[depth >> 3] >> (7 - (depth & 7))) & 1;
}
