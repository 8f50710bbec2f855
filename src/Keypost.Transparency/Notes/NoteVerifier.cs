using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Notes;

/// <summary>An Ed25519 verifier key in the C2SP vkey format: name+hex(key ID)+base64(0x01 || public key).</summary>
public sealed class NoteVerifier
{
    private NoteVerifier(string name, uint keyId, byte[] publicKey)
    {
        Name = name;
        KeyId = keyId;
        PublicKey = publicKey;
    }

    public string Name { get; }

    public uint KeyId { get; }

    public byte[] PublicKey { get; }

    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, KeyId, NoteKeys.Ed25519Type, PublicKey);

    public static NoteVerifier Parse(string vkey)
    {
        var (name, id, publicKey) = NoteKeys.ParseVerifierKey(vkey, NoteKeys.Ed25519Type, "only Ed25519 verifier keys (type 0x01, 32 bytes) are supported");
        return new NoteVerifier(name, id, publicKey);
    }

    /// <summary>
    /// C2SP signed-note: signatures of other keys are ignored; a failing signature of this key rejects the note;
    /// the note is accepted only when a signature of this key verifies.
    /// </summary>
    public SignedNote Verify(ReadOnlySpan<byte> note)
    {
        var parsed = SignedNote.Parse(note);
        var message = System.Text.Encoding.UTF8.GetBytes(parsed.Text);
        var verified = false;
        foreach (var signature in parsed.Signatures)
        {
            if (signature.KeyName != Name || signature.KeyId != KeyId)
            {
                continue;
            }

            if (signature.Signature.Length != 64
                || !Ed25519Sodium.VerifySignature(signature.Signature, message, PublicKey))
            {
                throw new NoteFormatException($"the signature by {Name} does not verify");
            }

            verified = true;
        }

        return verified ? parsed : throw new NoteFormatException($"the note carries no signature by {Name}+{KeyId:x8}");
    }
}
