using System.Globalization;
using System.Text;
using Keypost.Transparency.Log;
using Keypost.Transparency.Notes;

namespace Keypost.Transparency.Witness;

/// <summary>
/// In charge of witnessing: checking checkpoints for consistency and cosigning them (C2SP tlog-witness).
/// The C2SP tlog-witness add-checkpoint state machine: cosign a checkpoint of a known log only when it extends
/// the last checkpoint this witness cosigned for that origin. Pure: storage behind <see cref="IWitnessStore"/>.
/// </summary>
public sealed class LogWitness
{
    private readonly Cosigner _cosigner;
    private readonly IWitnessStore _store;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, WitnessedLog> _logs;
    private readonly RateLimiterPerLog _limiter;

    public LogWitness(Cosigner cosigner, IEnumerable<WitnessedLog> logs, IWitnessStore store, LogRateLimit limit, TimeProvider time)
    {
        _cosigner = cosigner;
        _store = store;
        _time = time;
        _logs = logs.ToDictionary(l => l.Origin, StringComparer.Ordinal);
        _limiter = new RateLimiterPerLog(limit, time);
    }

    public string VerifierKey => _cosigner.VerifierKey;

    /// <summary>Handles one add-checkpoint body; the checks run in the order C2SP tlog-witness lists them.</summary>
    public async Task<WitnessResponse> AddCheckpointAsync(string body, CancellationToken cancellationToken)
    {
        AddCheckpointRequest request;
        SignedNote note;
        Checkpoint checkpoint;
        try
        {
            request = AddCheckpointRequest.Parse(body);
            note = SignedNote.Parse(request.Note);
            checkpoint = Checkpoint.Parse(note.Text);
        }
        catch (NoteFormatException e)
        {
            return WitnessResponse.Error(400, "malformed request: " + e.Message);
        }

        // C2SP tlog-witness: an unknown origin is 404.
        if (!_logs.TryGetValue(checkpoint.Origin, out var log))
        {
            return WitnessResponse.Error(404, "unknown log: " + checkpoint.Origin);
        }

        // C2SP tlog-witness: signatures of unknown keys are ignored; none verifying with the log's key is 403.
        try
        {
            log.Key.Verify(Encoding.UTF8.GetBytes(request.Note));
        }
        catch (NoteFormatException e)
        {
            return WitnessResponse.Error(403, "checkpoint signature: " + e.Message);
        }

        // C2SP tlog-witness: old size above the checkpoint size is 400.
        if (request.OldSize > checkpoint.Size)
        {
            return WitnessResponse.Error(400, "the old size is larger than the checkpoint size");
        }

        // C2SP tlog-witness: the proof must be empty when the old size is zero.
        if (request.OldSize == 0 && request.Proof.Count > 0)
        {
            return WitnessResponse.Error(400, "a consistency proof from size 0 must be empty");
        }

        // Counted only once the log's own key signed it, so a stranger cannot spend the log's budget.
        if (!_limiter.TryTake(checkpoint.Origin))
        {
            return WitnessResponse.Error(429, "too many checkpoints for " + checkpoint.Origin);
        }

        var latest = await _store.ReadAsync(checkpoint.Origin, cancellationToken);
        var latestSize = latest?.Size ?? 0;
        // C2SP tlog-witness: the old size must be the size this witness last cosigned, else 409 with that size.
        if (request.OldSize != latestSize)
        {
            return SizeConflict(latestSize);
        }

        if (latest is not null && request.OldSize == checkpoint.Size)
        {
            // C2SP tlog-witness: same size, the roots must be identical, else 409 (a split view).
            if (!latest.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash))
            {
                return SizeConflict(latestSize);
            }
        }
        else if (latest is { Size: > 0 }
            && !MerkleProofs.VerifyConsistency(latest.Size, checkpoint.Size, latest.RootHash, checkpoint.RootHash, request.Proof))
        {
            // C2SP tlog-witness: a consistency proof (RFC 6962 §2.1.2) that does not verify is 422.
            return WitnessResponse.Error(422, $"the consistency proof from {latest.Size} to {checkpoint.Size} does not verify");
        }

        if (latest is null || checkpoint.Size != latest.Size)
        {
            // C2SP tlog-witness: persist before answering, atomically with the size check.
            var next = new WitnessRecord(checkpoint.Origin, checkpoint.Size, checkpoint.RootHash, request.Note);
            if (!await _store.TryAdvanceAsync(latestSize, next, cancellationToken))
            {
                var moved = await _store.ReadAsync(checkpoint.Origin, cancellationToken);
                return SizeConflict(moved?.Size ?? 0);
            }
        }

        var cosignature = _cosigner.Cosign(note.Text, _time.GetUtcNow().ToUnixTimeSeconds());
        return new WitnessResponse(200, WitnessResponse.TextContentType, FormatSignatureLine(cosignature));
    }

    /// <summary>A note signature line, as signed-note formats it: "— name base64(key ID || signature)\n".</summary>
    public static string FormatSignatureLine(NoteSignature signature)
    {
        var formatted = new SignedNote("x\n", [signature]).Format();
        return formatted[3..];
    }

    private static WitnessResponse SizeConflict(long size) =>
        new(409, WitnessResponse.SizeContentType, size.ToString(CultureInfo.InvariantCulture) + "\n");
}
