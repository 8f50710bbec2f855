using System.Buffers.Binary;
using System.Globalization;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;

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

    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, KeyId, CosignatureV1.KeyType, PublicKey);

    public static CosignatureVerifier Parse(string vkey)
    {
        var (name, id, publicKey) = NoteKeys.ParseVerifierKey(vkey, CosignatureV1.KeyType, "a witness key is an Ed25519 cosignature/v1 key (type 0x04, 32 bytes)");
        return new CosignatureVerifier(name, id, publicKey);
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
            if (Ed25519Sodium.VerifySignature(signature.Signature.AsSpan(8), message, PublicKey))
            {
                return (long)timestamp;
            }
        }

        return null;
    }
}
