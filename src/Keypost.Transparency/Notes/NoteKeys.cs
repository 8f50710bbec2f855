using System.Security.Cryptography;
using System.Text;

namespace Keypost.Transparency.Notes;

/// <summary>Key IDs and key names as C2SP signed-note defines them.</summary>
public static class NoteKeys
{
    /// <summary>C2SP signed-note: signature type 0x01 is Ed25519.</summary>
    public const byte Ed25519Type = 0x01;

    /// <summary>C2SP signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4].</summary>
    public static uint KeyId(string name, byte type, ReadOnlySpan<byte> publicKey)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[nameBytes.Length + 2 + publicKey.Length];
        nameBytes.CopyTo(input, 0);
        input[nameBytes.Length] = 0x0A;
        input[nameBytes.Length + 1] = type;
        publicKey.CopyTo(input.AsSpan(nameBytes.Length + 2));
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(input));
    }

    /// <summary>C2SP signed-note: key names are non-empty, without Unicode spaces or '+'.</summary>
    public static void CheckName(string name)
    {
        if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c == '+' || char.IsControl(c)))
        {
            throw new NoteFormatException("a key name must be non-empty, without spaces or '+'");
        }
    }
}
