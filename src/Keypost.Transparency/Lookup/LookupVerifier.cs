using System.Security.Cryptography;
using System.Text;
using Keypost.Transparency.Log;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// Checks a lookup proof for one address against the pinned log key and the last checkpoint the client holds, in
/// the order of docs/transparency.md "Verifying a lookup"; the first failed check throws <see cref="LookupException"/>.
/// </summary>
public sealed class LookupVerifier
{
    /// <summary>How far an epoch's time may lie ahead of the client's clock.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private readonly NoteVerifier _logKey;
    private readonly string _origin;

    public LookupVerifier(NoteVerifier logKey, string origin)
    {
        _logKey = logKey;
        _origin = origin;
    }

    /// <param name="address">The address as Keypost.Core canonicalises it (EmailAddress.Canonical).</param>
    /// <param name="encodedProof">The lookup proof as the directory serves it (docs/transparency.md).</param>
    /// <param name="trusted">The last checkpoint stored for this log, or null on first contact.</param>
    /// <param name="now">The time a checkpoint's age and cosignatures are judged at.</param>
    public VerifiedLookup Verify(string address, ReadOnlySpan<byte> encodedProof, TrustedCheckpoint? trusted, DateTimeOffset now)
    {
        var proof = LookupProofCodec.Decode(encodedProof);

        // 1. The checkpoint: signed by the pinned key, for this log.
        SignedNote note;
        try
        {
            note = _logKey.Verify(proof.Checkpoint);
        }
        catch (NoteFormatException e)
        {
            throw new LookupException(LookupCheck.CheckpointSignature, e.Message);
        }

        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Parse(note.Text);
        }
        catch (NoteFormatException e)
        {
            throw new LookupException(LookupCheck.Malformed, e.Message);
        }

        if (checkpoint.Origin != _origin)
        {
            throw new LookupException(LookupCheck.CheckpointOrigin, $"the checkpoint is for '{checkpoint.Origin}', not '{_origin}'");
        }

        // 2. Never older than what we hold, and an extension of it. A consistency proof nobody needs must be absent,
        //    so that one answer has one encoding.
        if ((trusted is null || trusted.Size == checkpoint.Size) && (proof.ConsistencyFrom != 0 || proof.Consistency.Count != 0))
        {
            throw new LookupException(LookupCheck.Malformed, "a consistency proof that was not asked for");
        }

        if (trusted is not null)
        {
            if (checkpoint.Size < trusted.Size)
            {
                throw new LookupException(LookupCheck.Rollback, $"the log shows size {checkpoint.Size}, older than the {trusted.Size} already seen");
            }

            if (checkpoint.Size == trusted.Size)
            {
                if (!CryptographicOperations.FixedTimeEquals(checkpoint.RootHash, trusted.RootHash))
                {
                    throw new LookupException(LookupCheck.Consistency, $"two different trees of size {trusted.Size}: the log forked");
                }
            }
            else if (proof.ConsistencyFrom != trusted.Size
                || !MerkleProofs.VerifyConsistency(trusted.Size, checkpoint.Size, trusted.RootHash, checkpoint.RootHash, proof.Consistency))
            {
                throw new LookupException(LookupCheck.Consistency, $"no valid consistency proof from size {trusted.Size} to {checkpoint.Size}");
            }
        }

        // 3. The epoch: the newest one under the checkpoint, and in it.
        var entry = EpochEntry.TryDecode(proof.Entry) ?? throw new LookupException(LookupCheck.Malformed, "bad epoch entry");
        if (entry.Suite != proof.Suite || entry.History != proof.History)
        {
            throw new LookupException(LookupCheck.Malformed, $"a {proof.Suite} VRF proof for an epoch logged with {entry.Suite}");
        }

        if (entry.Epoch >= checkpoint.Size || entry.Time > now + ClockSkew)
        {
            throw new LookupException(LookupCheck.FutureEpoch, $"epoch {entry.Epoch} at {entry.Time:u} lies beyond the checkpoint (size {checkpoint.Size}) or the clock");
        }

        if (entry.Epoch != checkpoint.Size - 1)
        {
            throw new LookupException(LookupCheck.StaleEpoch, $"epoch {entry.Epoch} is not the newest ({checkpoint.Size - 1})");
        }

        if (!MerkleProofs.VerifyInclusion(entry.Epoch, checkpoint.Size, MerkleHash.Leaf(proof.Entry), proof.Inclusion, checkpoint.RootHash))
        {
            throw new LookupException(LookupCheck.LogInclusion, $"epoch {entry.Epoch} is not in the log's tree of size {checkpoint.Size}");
        }

        // 4. The map key: the VRF of this address under the logged VRF key.
        var mapKey = KtVrf.Verify(entry.Suite, entry.VrfPublicKey, Encoding.UTF8.GetBytes(address), proof.VrfProof)
            ?? throw new LookupException(LookupCheck.VrfProof, $"the VRF proof does not verify for {address}");

        // 5. The map: the binding, or its absence, under the epoch's map root.
        var trustedCheckpoint = new TrustedCheckpoint(checkpoint.Size, checkpoint.RootHash);
        var noteText = Encoding.UTF8.GetString(proof.Checkpoint);
        if (proof.MapProof.End != MapProofEnd.Leaf)
        {
            if (!proof.MapProof.Verify(entry.MapRoot, mapKey, [], present: false))
            {
                throw new LookupException(LookupCheck.MapProof, "the absence proof does not lead to the epoch's map root");
            }

            return new VerifiedLookup(trustedCheckpoint, noteText, entry, null) { Proof = proof };
        }

        var binding = proof.Binding!;
        var commitment = BindingCommitment.Compute(proof.Opening!, address, binding);
        if (!proof.MapProof.Verify(entry.MapRoot, mapKey, commitment, present: true))
        {
            throw new LookupException(LookupCheck.MapProof, "the binding's proof does not lead to the epoch's map root");
        }

        return new VerifiedLookup(trustedCheckpoint, noteText, entry, binding) { Proof = proof };
    }

    /// <summary>
    /// Verifies the proof and that its newest binding is exactly the served certificate: same fingerprint, same
    /// SHA-256 of the bytes WKD served, not revoked.
    /// </summary>
    public VerifiedLookup VerifyCertificate(string address, ReadOnlySpan<byte> encodedProof, TrustedCheckpoint? trusted, DateTimeOffset now,
        ReadOnlySpan<byte> fingerprint, ReadOnlySpan<byte> servedCertificate)
    {
        var result = Verify(address, encodedProof, trusted, now);
        var binding = result.Binding ?? throw new LookupException(LookupCheck.NotInLog, $"the log holds no key for {address}");
        var servedHash = SHA256.HashData(servedCertificate);
        if (!binding.Fingerprint.AsSpan().SequenceEqual(fingerprint) || !CryptographicOperations.FixedTimeEquals(binding.CertificateHash, servedHash))
        {
            throw new LookupException(LookupCheck.CertificateMismatch,
                $"the log binds {address} to {Convert.ToHexString(binding.Fingerprint)} (version {binding.Version}), not to the certificate served");
        }

        if (binding.Revoked)
        {
            throw new LookupException(LookupCheck.Revoked, $"version {binding.Version} for {address} is revoked");
        }

        return result;
    }
}
