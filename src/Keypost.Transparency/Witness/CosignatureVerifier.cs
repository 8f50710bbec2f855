using System.Buffers.Binary;
using System.Globalization;
using Keypost.Transparency.Notes;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Keypost.Transparency.Witness;

/// <summary>A witness's Ed25519 cosignature/v1 verifier key, parsed from its C2SP vkey (type 0x04).</summary>
public sealed class CosignatureVerifier
{
    private CosignatureVerifier(string name, uint keyId, byte[] publicKey)
    {
        Name = name;
        KeyId = keyId;
        PublicKey = publicKey;
    }

    public string Name { get; }

    public uint KeyId { get; }

    public byte[] PublicKey { get; }

    public string VerifierKey => $"{Name}+{KeyId:x8}+{Convert.ToBase64String([CosignatureV1.KeyType, .. PublicKey])}";

    public static CosignatureVerifier Parse(string vkey)
    {
        var parts = vkey.Trim().Split('+', 3);
        if (parts.Length != 3)
        {
            throw new NoteFormatException("a verifier key is name+keyid+key");
        }

        NoteKeys.CheckName(parts[0]);
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

        if (material.Length != 1 + Ed25519.PublicKeySize || material[0] != CosignatureV1.KeyType)
        {
            throw new NoteFormatException("a witness key is an Ed25519 cosignature/v1 key (type 0x04, 32 bytes)");
        }

        var publicKey = material[1..];
        if (NoteKeys.KeyId(parts[0], CosignatureV1.KeyType, publicKey) != id)
        {
            throw new NoteFormatException("the verifier key's ID does not match its name and key");
        }

        return new CosignatureVerifier(parts[0], id, publicKey);
    }

    /// <summary>
    /// The timestamp of this witness's valid cosignature among <paramref name="signatures"/> over
    /// <paramref name="checkpointText"/>, or null. C2SP tlog-cosignature: lines of other names or key IDs are ignored.
    /// </summary>
    public long? FindValid(string checkpointText, IEnumerable<NoteSignature> signatures)
    {
        foreach (var signature in signatures)
        {
            if (signature.KeyName != Name || signature.KeyId != KeyId || signature.Signature.Length != CosignatureV1.SignatureLength)
            {
                continue;
            }

            var timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature.Signature);
            if (timestamp > long.MaxValue)
            {
                continue;
            }

            var message = CosignatureV1.Message(checkpointText, (long)timestamp);
            if (Ed25519.Verify(signature.Signature, 8, PublicKey, 0, message, 0, message.Length))
            {
                return (long)timestamp;
            }
        }

        return null;
    }
}
