using System.Text;
using Keypost.Transparency.Log;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Tiles;
using Keypost.Transparency.Vrf;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// In charge of key transparency lookups: sealing epochs and proving and verifying an address's binding and history.
/// The server's side of one domain's key transparency, in memory: bindings are staged, and sealing an epoch applies
/// them to the prefix tree in one batch, appends the map root to the log and signs a checkpoint. Lookups and tiles
/// always answer from the last sealed epoch. Persistence is the caller's: it stores each <see cref="SealedEpoch"/>
/// and replays them with <see cref="Restore"/>. Thread-safe.
/// </summary>
public sealed class KeyTransparencyLog
{
    private readonly Lock _gate = new();
    private readonly NoteSigner _signer;
    private readonly byte[] _vrfSecretKey;
    private readonly PrefixTree _map = new();
    private readonly MemoryLogHashes _hashes = new();
    private readonly List<byte[]> _entries = [];
    // Every address's current binding, packed (PackedBinding): at a million addresses this is most of the memory.
    private readonly Dictionary<string, byte[]> _current = new(StringComparer.Ordinal);
    private readonly int _proofLength;
    private readonly Dictionary<string, StagedBinding> _pending = new(StringComparer.Ordinal);
    private string? _checkpoint;

    /// <summary>A log whose VRF is ECVRF-P256 (<see cref="VrfSuite.P256"/>), as every log was before the suite was recorded.</summary>
    public KeyTransparencyLog(NoteSigner signer, ReadOnlySpan<byte> vrfSecretKey)
        : this(signer, VrfSuite.P256, vrfSecretKey)
    {
    }

    public KeyTransparencyLog(NoteSigner signer, VrfSuite suite, ReadOnlySpan<byte> vrfSecretKey)
        : this(signer, suite, vrfSecretKey, history: false)
    {
    }

    /// <summary>
    /// A log of <paramref name="suite"/>; with <paramref name="history"/>, every binding carries the chain of its
    /// address's history (<see cref="BindingHistory"/>) and entries are format 3. Fixed for the log's life.
    /// </summary>
    public KeyTransparencyLog(NoteSigner signer, VrfSuite suite, ReadOnlySpan<byte> vrfSecretKey, bool history)
    {
        _signer = signer;
        Suite = suite;
        History = history;
        _vrfSecretKey = vrfSecretKey.ToArray();
        VrfPublicKey = KtVrf.PublicKey(suite, vrfSecretKey);
        _proofLength = KtVrf.ProofLength(suite);
    }

    /// <summary>The VRF suite keying this log's map, recorded in every entry.</summary>
    public VrfSuite Suite { get; }

    /// <summary>Whether this log's commitments carry history chains (entry format 3, lookup proof version 3).</summary>
    public bool History { get; }

    /// <summary>The checkpoint origin, which is also the log key's name.</summary>
    public string Origin => _signer.Name;

    public string VerifierKey => _signer.VerifierKey;

    public byte[] VrfPublicKey { get; }

    public long Size
    {
        get
        {
            lock (_gate)
            {
                return _hashes.Size;
            }
        }
    }

    public bool HasPending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count > 0;
            }
        }
    }

    /// <summary>The newest signed checkpoint, or null before the first epoch.</summary>
    public string? Checkpoint
    {
        get
        {
            lock (_gate)
            {
                return _checkpoint;
            }
        }
    }

    /// <summary>Stages a new version of <paramref name="address"/>'s binding for the next epoch.</summary>
    public StagedBinding Stage(string address, Binding binding)
    {
        var staged = Prepare(address, binding);
        Stage(staged);
        return staged;
    }

    /// <summary>
    /// Computes a binding's VRF output, map key, opening and commitment without touching the log (thread-safe, so a
    /// batch can be prepared on several cores; the VRF is the costly part of an append). An address already in the
    /// map keeps its VRF proof (the input is the address alone, so the output never changes). A new address gets
    /// only the VRF output (<see cref="KtVrf.Evaluate"/>); its first lookup finishes the proof.
    /// </summary>
    public StagedBinding Prepare(string address, Binding binding)
    {
        byte[]? vrfProof = null;
        byte[]? mapKey = null;
        lock (_gate)
        {
            if (_current.TryGetValue(address, out var packed))
            {
                vrfProof = PackedBinding.VrfProof(packed, _proofLength);
                mapKey = PackedBinding.MapKey(packed, _proofLength);
            }
        }

        if (vrfProof is null || mapKey is null)
        {
            vrfProof = KtVrf.Evaluate(Suite, _vrfSecretKey, VrfPublicKey, Encoding.UTF8.GetBytes(address), out mapKey);
        }

        if (History != binding.History is not null)
        {
            throw new ArgumentException(History ? "a binding of a log with history chains carries its history" : "this log has no history chains", nameof(binding));
        }

        var opening = BindingCommitment.NewOpening();
        return new StagedBinding(address, binding, vrfProof, mapKey, opening, BindingCommitment.Compute(opening, address, binding));
    }

    /// <summary>Stages a prepared binding for the next epoch; a later one for the same address replaces it.</summary>
    public void Stage(StagedBinding staged)
    {
        CheckShape(staged);
        lock (_gate)
        {
            _pending[staged.Address] = staged;
        }
    }

    /// <summary>Applies the staged bindings, appends the map root to the log and signs the new checkpoint.</summary>
    public SealedEpoch Seal(DateTimeOffset time)
    {
        lock (_gate)
        {
            var bindings = _pending.Values.ToList();
            _pending.Clear();
            foreach (var staged in bindings)
            {
                _map.Set(staged.MapKey, staged.Commitment);
                _current[staged.Address] = PackedBinding.Pack(staged);
            }

            var entry = new EpochEntry(_hashes.Size, time, _map.Root(), VrfPublicKey, Suite, History);
            var encoded = entry.Encode();
            var nodes = _hashes.Append(MerkleHash.Leaf(encoded));
            _entries.Add(encoded);
            _checkpoint = SignCheckpoint();
            return new SealedEpoch(entry, encoded, bindings, nodes, _checkpoint);
        }
    }

    /// <summary>
    /// The C2SP tlog-witness add-checkpoint body for the newest checkpoint, from <paramref name="oldSize"/> (the size
    /// the witness last cosigned, 0 if none); null before the first epoch or when oldSize is beyond the log.
    /// </summary>
    public Witness.AddCheckpointRequest? WitnessRequest(long oldSize)
    {
        lock (_gate)
        {
            if (_checkpoint is null || oldSize < 0 || oldSize > _hashes.Size)
            {
                return null;
            }

            // C2SP tlog-witness: no proof from size 0, and none needed for the same size.
            IReadOnlyList<byte[]> proof = oldSize == 0 || oldSize == _hashes.Size ? [] : MerkleProofs.Consistency(_hashes, oldSize, _hashes.Size);
            return new Witness.AddCheckpointRequest(oldSize, proof, _checkpoint);
        }
    }

    /// <summary>
    /// Adds witnesses' cosignature lines to the newest checkpoint, so the checkpoint endpoint and every lookup proof
    /// carry them; ignored when <paramref name="checkpointText"/> is no longer the newest checkpoint's text.
    /// The caller verifies each cosignature first.
    /// </summary>
    public bool AddCosignatures(string checkpointText, IEnumerable<NoteSignature> cosignatures)
    {
        lock (_gate)
        {
            if (_checkpoint is null)
            {
                return false;
            }

            var note = SignedNote.Parse(_checkpoint);
            if (note.Text != checkpointText)
            {
                return false;
            }

            var signatures = note.Signatures.ToList();
            foreach (var cosignature in cosignatures)
            {
                // One line per witness key: a newer cosignature replaces the older one.
                signatures.RemoveAll(s => s.KeyName == cosignature.KeyName && s.KeyId == cosignature.KeyId);
                signatures.Add(cosignature);
            }

            _checkpoint = new SignedNote(note.Text, signatures).Format();
            return true;
        }
    }

    /// <summary>Replays one stored epoch: its bindings and its entry, in order.</summary>
    public void Restore(IEnumerable<StagedBinding> bindings, byte[] encodedEntry)
    {
        lock (_gate)
        {
            foreach (var staged in bindings)
            {
                CheckShape(staged);
                _map.Set(staged.MapKey, staged.Commitment);
                _current[staged.Address] = PackedBinding.Pack(staged);
            }

            var entry = EpochEntry.TryDecode(encodedEntry) ?? throw new InvalidOperationException("a stored epoch entry does not decode");
            if (entry.Suite != Suite || entry.History != History || !entry.VrfPublicKey.AsSpan().SequenceEqual(VrfPublicKey))
            {
                throw new InvalidOperationException($"stored epoch {entry.Epoch} was logged under another VRF key or suite ({entry.Suite}) than this log's ({Suite})");
            }

            if (entry.Epoch != _hashes.Size || !entry.MapRoot.AsSpan().SequenceEqual(_map.Root()))
            {
                throw new InvalidOperationException($"stored epoch {entry.Epoch} does not replay to its map root");
            }

            _hashes.Append(MerkleHash.Leaf(encodedEntry));
            _entries.Add(encodedEntry);
            _checkpoint = SignCheckpoint();
        }
    }

    /// <summary>
    /// The lookup proof for <paramref name="address"/> at the newest epoch, with a consistency proof from
    /// <paramref name="consistencyFrom"/> when it is a smaller positive size; null before the first epoch.
    /// </summary>
    public byte[]? Prove(string address, long consistencyFrom = 0)
    {
        // An address without a binding needs a fresh VRF proof, and one appended since its last lookup needs its proof
        // finished (Prepare): both computed outside the lock, they hold up no one.
        byte[]? absentProof = null;
        byte[]? finished = null;
        lock (_gate)
        {
            if (!_current.TryGetValue(address, out var current))
            {
                absentProof = [];
            }
            else if (!KtVrf.IsFinished(Suite, current.AsSpan(0, _proofLength)))
            {
                finished = PackedBinding.VrfProof(current, _proofLength);
            }
        }

        if (absentProof is not null)
        {
            absentProof = KtVrf.Prove(Suite, _vrfSecretKey, VrfPublicKey, Encoding.UTF8.GetBytes(address));
        }
        else if (finished is not null)
        {
            finished = KtVrf.Finish(Suite, _vrfSecretKey, VrfPublicKey, Encoding.UTF8.GetBytes(address), finished);
        }

        lock (_gate)
        {
            if (_current.TryGetValue(address, out var unfinished) && !KtVrf.IsFinished(Suite, unfinished.AsSpan(0, _proofLength)))
            {
                if (finished is null)
                {
                    // Sealed between the two locks from a binding prepared before this address's proof was finished.
                    finished = KtVrf.Finish(Suite, _vrfSecretKey, VrfPublicKey, Encoding.UTF8.GetBytes(address), PackedBinding.VrfProof(unfinished, _proofLength));
                }

                // One address has one proof (RFC 9381's nonce is deterministic): kept, so it is finished only once.
                finished.CopyTo(unfinished, 0);
            }

            if (_checkpoint is null)
            {
                return null;
            }

            var size = _hashes.Size;
            byte[] vrfProof;
            MapProof mapProof;
            Binding? binding = null;
            byte[]? opening = null;
            if (_current.TryGetValue(address, out var packed))
            {
                vrfProof = PackedBinding.VrfProof(packed, _proofLength);
                mapProof = _map.Prove(PackedBinding.MapKey(packed, _proofLength));
                binding = PackedBinding.Binding(packed, _proofLength, History ? BindingHistory.Length : 0);
                opening = PackedBinding.Opening(packed, _proofLength);
            }
            else
            {
                // Bindings are never removed, so an address absent now was absent above and has its proof.
                vrfProof = absentProof!;
                mapProof = _map.Prove(KtVrf.MapKey(Suite, vrfProof)!);
            }

            var from = consistencyFrom > 0 && consistencyFrom < size ? consistencyFrom : 0;
            var proof = new LookupProof(vrfProof, mapProof, binding, opening, _entries[^1],
                MerkleProofs.Inclusion(_hashes, size - 1, size), from,
                from > 0 ? MerkleProofs.Consistency(_hashes, from, size) : [], Encoding.UTF8.GetBytes(_checkpoint), Suite, History);
            return LookupProofCodec.Encode(proof);
        }
    }

    /// <summary>A hash tile or entry bundle of the newest tree, or null when that tree has no such resource.</summary>
    public byte[]? ReadTile(TileAddress address)
    {
        lock (_gate)
        {
            var size = _hashes.Size;
            if (!address.IsEntries)
            {
                return TileReader.ReadTile(_hashes, size, address);
            }

            var available = TileReader.Available(size, 0, address.Index);
            if (available == 0 || (address.IsPartial ? available != address.Width : available < TileAddress.FullWidth))
            {
                return null;
            }

            var start = (int)(address.Index * TileAddress.FullWidth);
            return TileReader.EntryBundle(_entries.GetRange(start, address.Width));
        }
    }

    private void CheckShape(StagedBinding staged)
    {
        if (staged.VrfProof.Length != _proofLength || staged.MapKey.Length != KtVrf.MapKeyLength
            || staged.Opening.Length != BindingCommitment.OpeningLength || staged.Binding.CertificateHash.Length != 32
            || (History ? staged.Binding.History is not { Length: BindingHistory.Length } : staged.Binding.History is not null))
        {
            throw new ArgumentException($"a binding of {staged.Address} does not fit a {Suite} log (VRF proof, map key, opening or hash length)", nameof(staged));
        }
    }

    private string SignCheckpoint() =>
        _signer.Sign(new Checkpoint(Origin, _hashes.Size, MerkleProofs.Root(_hashes, _hashes.Size)).Format());
}
