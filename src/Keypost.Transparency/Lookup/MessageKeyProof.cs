using System.Security.Cryptography;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// The proof a sender carries inside an encrypted message that her own key is her domain's newest binding for her
/// address (docs/transparency.md, "Proof inside the message"): <c>"KPMP" || 0x01 || lookup proof</c>, the lookup
/// proof exactly as the lookup endpoint encodes it but without a consistency proof (the sender cannot know what
/// size each reader holds). The reader checks it offline, as a TLS client checks an SCT.
/// </summary>
public static class MessageKeyProof
{
    public const byte Version = 1;

    /// <summary>A lookup proof is about 1.5 KB and its checkpoint at most 64 KiB; anything longer is refused unread.</summary>
    public const int MaxLength = 70 * 1024;

    private static ReadOnlySpan<byte> Magic => "KPMP"u8;

    public static byte[] Encode(LookupProof proof)
    {
        var inner = LookupProofCodec.Encode(proof with { ConsistencyFrom = 0, Consistency = [] });
        var bytes = new byte[Magic.Length + 1 + inner.Length];
        Magic.CopyTo(bytes);
        bytes[Magic.Length] = Version;
        inner.CopyTo(bytes, Magic.Length + 1);
        return bytes;
    }

    /// <summary>Strict: the magic, version 1, then one lookup proof without a consistency part; else <see cref="LookupException"/> (malformed).</summary>
    public static LookupProof Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxLength || bytes.Length < Magic.Length + 1 || !bytes[..Magic.Length].SequenceEqual(Magic) || bytes[Magic.Length] != Version)
        {
            throw new LookupException(LookupCheck.Malformed, "not a Keypost message key proof (KPMP version 1)");
        }

        var proof = LookupProofCodec.Decode(bytes[(Magic.Length + 1)..]);
        if (proof.ConsistencyFrom != 0 || proof.Consistency.Count != 0)
        {
            throw new LookupException(LookupCheck.Malformed, "a message key proof carries no consistency proof");
        }

        return proof;
    }

    /// <summary>
    /// Checks, with no network, that <paramref name="signerFingerprint"/> is <paramref name="address"/>'s newest,
    /// unrevoked binding under a checkpoint signed by <paramref name="logKey"/> (the key the reader pinned for the
    /// domain's log) and cosigned by <paramref name="quorum"/>. An older checkpoint than the one the reader holds is
    /// fine (the message may be old), but one of the same size with another root is a fork.
    /// </summary>
    /// <exception cref="LookupException">The first check that failed, as in docs/transparency.md.</exception>
    public static VerifiedLookup Verify(string address, ReadOnlySpan<byte> encoded, NoteVerifier logKey, TrustedCheckpoint? held,
        CosignatureQuorum? quorum, DateTimeOffset now, ReadOnlySpan<byte> signerFingerprint)
    {
        var proof = Decode(encoded);
        var domain = address[(address.LastIndexOf('@') + 1)..];
        var verified = new LookupVerifier(logKey, LogLocation.Origin(domain)).Verify(address, LookupProofCodec.Encode(proof), null, now);
        if (held is not null && held.Size == verified.Checkpoint.Size && !CryptographicOperations.FixedTimeEquals(held.RootHash, verified.Checkpoint.RootHash))
        {
            throw new LookupException(LookupCheck.Consistency, $"two different trees of size {held.Size}: the log forked");
        }

        quorum?.Check(SignedNote.Parse(verified.CheckpointNote), now);
        var binding = verified.Binding ?? throw new LookupException(LookupCheck.NotInLog, $"the proof shows no key for {address}");
        if (!binding.Fingerprint.AsSpan().SequenceEqual(signerFingerprint))
        {
            throw new LookupException(LookupCheck.CertificateMismatch,
                $"the log binds {address} to {Convert.ToHexString(binding.Fingerprint)} (version {binding.Version}), not to the key that signed");
        }

        if (binding.Revoked)
        {
            throw new LookupException(LookupCheck.Revoked, $"version {binding.Version} for {address} is revoked");
        }

        return verified;
    }
}
