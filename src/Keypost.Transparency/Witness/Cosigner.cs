using System.Buffers.Binary;
using Keypost.Transparency.Notes;

namespace Keypost.Transparency.Witness;

/// <summary>A witness's Ed25519 key producing C2SP tlog-cosignature (cosignature/v1) note signatures.</summary>
public sealed class Cosigner
{
    private readonly byte[] _signingKey;

    public Cosigner(string name, ReadOnlySpan<byte> privateKey)
    {
        Name = name;
        (_signingKey, PublicKey, KeyId) = NoteKeys.Ed25519SigningKey(name, privateKey, CosignatureV1.KeyType);
    }

    public string Name { get; }

    public byte[] PublicKey { get; }

    public uint KeyId { get; }

    /// <summary>C2SP tlog-cosignature: the vkey is name+hex(key ID)+base64(0x04 || public key).</summary>
    public string VerifierKey => NoteKeys.FormatVerifierKey(Name, KeyId, CosignatureV1.KeyType, PublicKey);

    /// <summary>Cosigns a checkpoint's note text at <paramref name="timestamp"/> (POSIX seconds).</summary>
    public NoteSignature Cosign(string checkpointText, long timestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        var message = CosignatureV1.Message(checkpointText, timestamp);
        var blob = new byte[CosignatureV1.SignatureLength];
        // C2SP tlog-cosignature: the timestamp is a big-endian u64 before the signature.
        BinaryPrimitives.WriteUInt64BigEndian(blob, (ulong)timestamp);
        NoteKeys.SignEd25519(blob.AsSpan(8), message, _signingKey);
        return new NoteSignature(Name, KeyId, blob);
    }
}
