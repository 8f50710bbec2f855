using System.Buffers.Binary;
using Keypost.Transparency.Notes;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Keypost.Transparency.Witness;

/// <summary>A witness's Ed25519 key producing C2SP tlog-cosignature (cosignature/v1) note signatures.</summary>
public sealed class Cosigner
{
    private readonly byte[] _privateKey;

    public Cosigner(string name, ReadOnlySpan<byte> privateKey)
    {
        NoteKeys.CheckName(name);
        if (privateKey.Length != Ed25519.SecretKeySize)
        {
            throw new ArgumentException("an Ed25519 private key has 32 bytes", nameof(privateKey));
        }

        Name = name;
        _privateKey = privateKey.ToArray();
        PublicKey = new byte[Ed25519.PublicKeySize];
        Ed25519.GeneratePublicKey(_privateKey, 0, PublicKey, 0);
        KeyId = NoteKeys.KeyId(name, CosignatureV1.KeyType, PublicKey);
    }

    public string Name { get; }

    public byte[] PublicKey { get; }

    public uint KeyId { get; }

    /// <summary>C2SP tlog-cosignature: the vkey is name+hex(key ID)+base64(0x04 || public key).</summary>
    public string VerifierKey => $"{Name}+{KeyId:x8}+{Convert.ToBase64String([CosignatureV1.KeyType, .. PublicKey])}";

    /// <summary>Cosigns a checkpoint's note text at <paramref name="timestamp"/> (POSIX seconds).</summary>
    public NoteSignature Cosign(string checkpointText, long timestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timestamp);
        var message = CosignatureV1.Message(checkpointText, timestamp);
        var blob = new byte[CosignatureV1.SignatureLength];
        // C2SP tlog-cosignature: the timestamp is a big-endian u64 before the signature.
        BinaryPrimitives.WriteUInt64BigEndian(blob, (ulong)timestamp);
        Ed25519.Sign(_privateKey, 0, message, 0, message.Length, blob, 8);
        return new NoteSignature(Name, KeyId, blob);
    }
}
