using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Keypost.Transparency.Vrf;

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

    /// <summary>
    /// C2SP signed-note verifier key <c>name+hex(key ID)+base64(type || public key)</c> for a 32-byte Ed25519 key of
    /// <paramref name="type"/> (0x01 for notes, 0x04 for tlog-cosignature/v1); the key ID must match.
    /// </summary>
    public static (string Name, uint KeyId, byte[] PublicKey) ParseVerifierKey(string vkey, byte type, string wrongTypeMessage)
    {
        var parts = vkey.Trim().Split('+', 3);
        if (parts.Length != 3)
        {
            throw new NoteFormatException("a verifier key is name+keyid+key");
        }

        CheckName(parts[0]);
        if (parts[1].Length != 8 || parts[1] != parts[1].ToLowerInvariant()
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var id))
        {
            throw new NoteFormatException("a verifier key's ID is 8 lower-case hex digits");
        }

        byte[] material;
        try
        {
            material = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            throw new NoteFormatException("a verifier key's key is not valid base64");
        }

        // Ed25519 public keys are 32 bytes (RFC 8032 §5.1.5).
        if (material.Length != 1 + 32 || material[0] != type)
        {
            throw new NoteFormatException(wrongTypeMessage);
        }

        var publicKey = material[1..];
        if (KeyId(parts[0], type, publicKey) != id)
        {
            throw new NoteFormatException("the verifier key's ID does not match its name and key");
        }

        return (parts[0], id, publicKey);
    }

    /// <summary>C2SP signed-note verifier key text: name+hex(key ID)+base64(type || public key).</summary>
    public static string FormatVerifierKey(string name, uint keyId, byte type, ReadOnlySpan<byte> publicKey) =>
        $"{name}+{keyId:x8}+{Convert.ToBase64String([type, .. publicKey])}";

    /// <summary>
    /// Checks a key name and a 32-byte Ed25519 private key (RFC 8032 §5.1.5) and derives the public key, the key ID
    /// for signatures of <paramref name="type"/> and the 64-byte signing key <see cref="SignEd25519"/> takes; shared
    /// by note signers and witness cosigners.
    /// </summary>
    /// <remarks>
    /// libsodium, not BouncyCastle: a server signs checkpoints from its start, and BouncyCastle's assembly alone kept
    /// 3.6 MiB resident in an idle `keypost serve` that needs it for nothing else (issue #14, item 5).
    /// </remarks>
    public static (byte[] SigningKey, byte[] PublicKey, uint KeyId) Ed25519SigningKey(string name, ReadOnlySpan<byte> privateKey, byte type)
    {
        CheckName(name);
        if (privateKey.Length != Ed25519Sodium.SecretKeyLength)
        {
            throw new ArgumentException("an Ed25519 private key has 32 bytes", nameof(privateKey));
        }

        var (publicKey, signingKey) = Ed25519Sodium.SigningKeyPair(privateKey);
        return (signingKey, publicKey, KeyId(name, type, publicKey));
    }

    /// <summary>RFC 8032 §5.1.6: the Ed25519 signature of <paramref name="message"/> with a key from <see cref="Ed25519SigningKey"/>.</summary>
    internal static void SignEd25519(Span<byte> signature, ReadOnlySpan<byte> message, byte[] signingKey) =>
        Ed25519Sodium.Sign(signature, message, signingKey);
}
