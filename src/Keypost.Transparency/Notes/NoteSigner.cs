using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Notes;

/// <summary>Signs note texts with an Ed25519 key under a key name (C2SP signed-note, signature type 0x01).</summary>
public sealed class NoteSigner
{
    private readonly byte[] _signingKey;

    public NoteSigner(string name, ReadOnlySpan<byte> privateKey)
    {
        Name = name;
        (_signingKey, PublicKey, KeyId) = NoteKeys.Ed25519SigningKey(name, privateKey, NoteKeys.Ed25519Type);
    }

    public string Name { get; }

    public byte[] PublicKey { get; }

    public uint KeyId { get; }

    /// <summary>The verifier key: name+hex(key ID)+base64(0x01 || public key).</summary>
    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, KeyId, NoteKeys.Ed25519Type, PublicKey);

    /// <summary>An RFC 8032 §5.1.5 private key: 32 random bytes.</summary>
    public static byte[] GeneratePrivateKey() => System.Security.Cryptography.RandomNumberGenerator.GetBytes(Ed25519Sodium.SecretKeyLength);

    /// <summary>Signs <paramref name="text"/> (which must end in a newline) and returns the whole note.</summary>
    public string Sign(string text)
    {
        if (!text.EndsWith('\n'))
        {
            throw new ArgumentException("a note text ends in a newline", nameof(text));
        }

        var message = System.Text.Encoding.UTF8.GetBytes(text);
        var signature = new byte[Ed25519Sodium.SignatureLength];
        NoteKeys.SignEd25519(signature, message, _signingKey);
        return new SignedNote(text, [new NoteSignature(Name, KeyId, signature)]).Format();
    }
}
