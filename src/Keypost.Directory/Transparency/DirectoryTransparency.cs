using System.Security.Cryptography;
using Keypost.Directory.Storage;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Directory.Transparency;

/// <summary>
/// In charge of the domain's transparency log: sequencing epochs, serving proofs and tiles, and asking witnesses to cosign.
/// The key transparency of every hosted domain: one map and log per domain, replayed from the database at start,
/// fed by the certificates table (each new row, whoever wrote it through the directory's code, is one new binding
/// version) and sealed into epochs by <see cref="SequenceAsync"/>.
/// </summary>
public sealed class DirectoryTransparency
{
    private readonly TransparencyStore _store;
    private readonly TimeProvider _clock;
    private readonly TransparencyOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, DomainLog> _domains;
    private readonly SemaphoreSlim _sequencing = new(1, 1);
    private readonly WitnessSubmitter? _witnesses;

    private DirectoryTransparency(TransparencyStore store, TimeProvider clock, TransparencyOptions options, ILogger logger, Dictionary<string, DomainLog> domains)
    {
        _witnesses = options.Witnesses.Count == 0 ? null : CreateWitnessSubmitter(options.Witnesses, logger);
        _store = store;
        _clock = clock;
        _options = options;
        _logger = logger;
        _domains = domains;
    }

    public TransparencyOptions Options => _options;

    /// <summary>
    /// The directory is the witnesses' client; the timeout bounds how long a dead witness holds up sequencing. A method
    /// of its own, never inlined, so that a server without witnesses does not map System.Net.Http at start: compiling
    /// the constructor with <c>new HttpClient</c> in it loads the assembly even when the branch is not taken (idle
    /// memory, issue #14 item 5).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WitnessSubmitter CreateWitnessSubmitter(IReadOnlyList<WitnessEndpoint> witnesses, ILogger logger) =>
        new(new HttpClient { Timeout = TimeSpan.FromSeconds(10) }, witnesses, logger);

    /// <summary>C2SP tlog-tiles: the origin is the log's scheme-less URL prefix.</summary>
    public static string OriginFor(string domain) => LogLocation.Origin(domain);

    public static async Task<DirectoryTransparency> OpenAsync(DirectoryStore directory, TimeProvider clock, TransparencyOptions options, ILogger? logger, CancellationToken cancellationToken)
    {
        var store = new TransparencyStore(directory.Database, clock);
        var domains = new Dictionary<string, DomainLog>(StringComparer.OrdinalIgnoreCase);
        foreach (var domain in await directory.ListDomainsAsync(cancellationToken))
        {
            var (logKey, suite, vrfKey, history) = await store.EnsureKeysAsync(domain, cancellationToken);
            var log = new KeyTransparencyLog(new NoteSigner(OriginFor(domain), logKey), suite, vrfKey, history);
            var state = new DomainLog(log);
            Replay(state, await store.LoadEpochsAsync(domain, 0, cancellationToken));
            domains[domain] = state;
            var restored = await RestoreCosignaturesAsync(store, domain, state, options.Witnesses, cancellationToken);
            // A witness whose cosignature was not kept (down at the last epoch, or newly configured) is asked once
            // at the next sequencing run rather than at the next epoch, which may be an hour away.
            state.CosignPending = log.Size > 0 && restored < options.Witnesses.Count;
        }

        return new DirectoryTransparency(store, clock, options, logger ?? NullLogger.Instance, domains);
    }

    /// <summary>Replays stored epochs (the next ones after what <paramref name="state"/> holds) into its log and counters.</summary>
    private static void Replay(DomainLog state, IReadOnlyList<(byte[] Entry, List<(long CertificateId, StagedBinding Binding)> Bindings)> epochs)
    {
        foreach (var (entry, bindings) in epochs)
        {
            state.Log.Restore(bindings.Select(b => b.Binding), entry);
            var epochNumber = state.Log.Size - 1;
            foreach (var (certificateId, staged) in bindings)
            {
                state.Versions[staged.Address] = staged.Binding.Version;
                state.LastCertificateId = Math.Max(state.LastCertificateId, certificateId);
                if (staged.Binding.History is { } previous)
                {
                    state.Chains[staged.Address] = BindingHistory.Next(previous, Record(staged.Binding, epochNumber));
                }
            }

            state.LastEpoch = EpochEntry.TryDecode(entry)!.Time;
        }
    }

    /// <summary>
    /// Puts back the cosignatures kept for the newest checkpoint, only those of witnesses still configured and only
    /// if they verify over the replayed checkpoint's text (a note of another size or root is ignored). Returns how
    /// many witnesses' cosignatures were restored.
    /// </summary>
    private static async Task<int> RestoreCosignaturesAsync(TransparencyStore store, string domain, DomainLog state, IReadOnlyList<WitnessEndpoint> witnesses, CancellationToken cancellationToken)
    {
        var log = state.Log;
        if (witnesses.Count == 0 || log.Checkpoint is not { } checkpoint
            || await store.LoadCosignedAsync(domain, cancellationToken) is not { } kept || kept.Size != log.Size
            || kept.Note == state.RestoredCosigned)
        {
            return 0;
        }

        var text = SignedNote.Parse(checkpoint).Text;
        var note = SignedNote.Parse(kept.Note);
        var valid = note.Signatures
            .Where(s => witnesses.Any(w => s.KeyName == w.Key.Name && s.KeyId == w.Key.KeyId && w.Key.FindValid(text, [s]) is not null))
            .ToList();
        state.RestoredCosigned = kept.Note;
        return valid.Count > 0 && log.AddCosignatures(text, valid) ? valid.Select(s => (s.KeyName, s.KeyId)).Distinct().Count() : 0;
    }

    public bool Hosts(string domain) => _domains.ContainsKey(domain);

    /// <summary>The domain's verifier key (C2SP signed-note vkey), or null for a domain not hosted.</summary>
    public string? VerifierKey(string domain) => _domains.GetValueOrDefault(domain)?.Log.VerifierKey;

    public KeyTransparencyLog? Log(string domain) => _domains.GetValueOrDefault(domain) is { Failed: false } state ? state.Log : null;

    /// <summary>
    /// Logs every certificate row not yet logged, as one epoch per domain with changes, and seals an empty epoch
    /// where the last is older than <see cref="TransparencyOptions.EpochInterval"/>. Returns how many epochs it sealed.
    /// </summary>
    public async Task<int> SequenceAsync(CancellationToken cancellationToken)
    {
        await _sequencing.WaitAsync(cancellationToken);
        try
        {
            var sealedCount = 0;
            foreach (var (domain, state) in _domains)
            {
                if (state.Failed)
                {
                    continue;
                }

                // One sequencer per domain across nodes (docs/postgres.md): the lock holder first replays what other
                // nodes stored, so it appends to the one stored history; the others only replay, and their nodes'
                // publications are in the database for the holder to log.
                await using var turn = await _store.TryLockSequencerAsync(domain, cancellationToken);
                await CatchUpAsync(domain, state, cancellationToken);
                if (turn is null)
                {
                    continue;
                }

                var rows = await _store.NewCertificatesAsync(domain, state.LastCertificateId, cancellationToken);
                var now = _clock.GetUtcNow();
                if (rows.Count == 0 && state.Log.Size > 0 && now - state.LastEpoch < _options.EpochInterval)
                {
                    if (state.CosignPending)
                    {
                        state.CosignPending = false;
                        await CosignAsync(domain, state, cancellationToken);
                    }

                    continue;
                }

                var certificateIds = new Dictionary<string, long>(StringComparer.Ordinal);
                var versions = new Dictionary<string, long>(state.Versions, StringComparer.Ordinal);
                var chains = new Dictionary<string, byte[]>(StringComparer.Ordinal);
                var bindings = new List<(string Address, Binding Binding)>(rows.Count);
                var sealing = state.Log.Size;
                foreach (var row in rows)
                {
                    var version = versions.GetValueOrDefault(row.Address) + 1;
                    versions[row.Address] = version;
                    certificateIds[row.Address] = row.Id;
                    // The binding: the fingerprint and SHA-256 of exactly the bytes WKD serves for this row.
                    var binding = new Binding(version, Convert.FromHexString(row.Fingerprint), SHA256.HashData(row.Data), row.Revoked);
                    if (state.Log.History)
                    {
                        // Every row is a link of the chain, also one replaced before this epoch is sealed.
                        var previous = chains.GetValueOrDefault(row.Address) ?? state.Chains.GetValueOrDefault(row.Address) ?? BindingHistory.Start();
                        binding = binding with { History = previous };
                        chains[row.Address] = BindingHistory.Next(previous, Record(binding, sealing));
                    }

                    bindings.Add((row.Address, binding));
                }

                // The VRF is most of an append's cost: prepare on every core, then stage in publication order (a later
                // version of an address replaces an earlier one in the same epoch).
                var prepared = new StagedBinding[bindings.Count];
                Parallel.For(0, bindings.Count, new ParallelOptions { CancellationToken = cancellationToken },
                    i => prepared[i] = state.Log.Prepare(bindings[i].Address, bindings[i].Binding));
                foreach (var staged in prepared)
                {
                    state.Log.Stage(staged);
                }

                var epoch = state.Log.Seal(now);
                try
                {
                    await _store.SaveEpochAsync(domain, epoch, certificateIds, cancellationToken);
                }
                catch (Exception e)
                {
                    // The sealed checkpoint is already in memory; serving it unstored could fork the log after a
                    // restart, so this domain's log stops answering until the server restarts from the database.
                    state.Failed = true;
                    _logger.LogError(e, "storing epoch {Epoch} of {Domain} failed; its log is off until restart", epoch.Entry.Epoch, domain);
                    throw;
                }

                state.Versions.Clear();
                foreach (var (address, version) in versions)
                {
                    state.Versions[address] = version;
                }

                foreach (var (address, chain) in chains)
                {
                    state.Chains[address] = chain;
                }

                state.LastCertificateId = rows.Count > 0 ? rows[^1].Id : state.LastCertificateId;
                state.LastEpoch = now;
                sealedCount++;
                _logger.LogInformation("sealed epoch {Epoch} of {Domain} with {Count} changes", epoch.Entry.Epoch, domain, rows.Count);
                state.CosignPending = false;
                await CosignAsync(domain, state, cancellationToken);
            }

            return sealedCount;
        }
        finally
        {
            _sequencing.Release();
        }
    }

    /// <summary>
    /// Brings the domain's log up to the database: epochs that another node (or another process on the file) stored
    /// since, and the cosignatures kept for the newest checkpoint, so every node serves the same checkpoint and tiles.
    /// </summary>
    private async Task CatchUpAsync(string domain, DomainLog state, CancellationToken cancellationToken)
    {
        var epochs = await _store.LoadEpochsAsync(domain, state.Log.Size, cancellationToken);
        if (epochs.Count > 0)
        {
            Replay(state, epochs);
            _logger.LogInformation("replayed {Count} epochs of {Domain} stored by another node; log size {Size}", epochs.Count, domain, state.Log.Size);
        }

        await RestoreCosignaturesAsync(_store, domain, state, _options.Witnesses, cancellationToken);
    }

    /// <summary>
    /// The history records of <paramref name="address"/>'s versions above <paramref name="afterVersion"/> (at most
    /// <see cref="HistoryAnswerCodec.MaxRecords"/>), for a monitor to hash forward; null when the domain's log has no
    /// history chains (a log made before them) or is not hosted.
    /// </summary>
    public async Task<IReadOnlyList<HistoryRecord>?> HistoryAsync(string domain, string address, long afterVersion, CancellationToken cancellationToken)
    {
        if (!_domains.TryGetValue(domain, out var state) || !state.Log.History)
        {
            return null;
        }

        return await _store.HistoryAsync(domain, address, afterVersion, HistoryAnswerCodec.MaxRecords, cancellationToken);
    }

    private static HistoryRecord Record(Binding binding, long epoch) =>
        new(binding.Version, epoch, binding.Fingerprint, binding.CertificateHash, binding.Revoked);

    /// <summary>Submits the domain's newest checkpoint to its witnesses and keeps what they cosigned for a restart.</summary>
    private async Task CosignAsync(string domain, DomainLog state, CancellationToken cancellationToken)
    {
        if (_witnesses is null)
        {
            return;
        }

        var size = state.Log.Size;
        var cosigned = await _witnesses.SubmitAsync(state.Log, cancellationToken);
        _logger.LogInformation("checkpoint {Size} of {Domain} cosigned by {Count} of {Total} witnesses", size, domain, cosigned, _witnesses.Witnesses.Count);
        if (cosigned > 0 && state.Log.Checkpoint is { } note)
        {
            await _store.SaveCosignedAsync(domain, size, note, cancellationToken);
        }
    }

    private sealed class DomainLog(KeyTransparencyLog log)
    {
        public KeyTransparencyLog Log { get; } = log;

        public Dictionary<string, long> Versions { get; } = new(StringComparer.Ordinal);

        /// <summary>Per address, the history chain through its newest logged version (logs with history chains).</summary>
        public Dictionary<string, byte[]> Chains { get; } = new(StringComparer.Ordinal);

        public long LastCertificateId { get; set; }

        public DateTimeOffset LastEpoch { get; set; }

        public bool Failed { get; set; }

        /// <summary>The cosigned note last put back from the database (it is not verified again at every run).</summary>
        public string? RestoredCosigned { get; set; }

        /// <summary>Set at start when a configured witness's cosignature of the newest checkpoint was not kept.</summary>
        public bool CosignPending { get; set; }
    }
}
