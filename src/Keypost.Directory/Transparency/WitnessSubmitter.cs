using System.Globalization;
using System.Net;
using System.Text;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Witness;
using Microsoft.Extensions.Logging;

namespace Keypost.Directory.Transparency;

/// <summary>
/// Sends each new checkpoint of a log to its witnesses (C2SP tlog-witness add-checkpoint) and attaches every
/// cosignature that verifies with the witness's configured key to the served checkpoint. A witness that is down
/// or refuses costs a warning, never the epoch: clients decide by their quorum what they accept.
/// </summary>
public sealed class WitnessSubmitter(HttpClient http, IReadOnlyList<WitnessEndpoint> witnesses, ILogger logger)
{
    /// <summary>The size each witness last cosigned, per (origin, witness); learned from 409 answers after a restart.</summary>
    private readonly Dictionary<(string Origin, string Witness), long> _sizes = [];
    private readonly Lock _lock = new();

    public IReadOnlyList<WitnessEndpoint> Witnesses => witnesses;

    /// <summary>Submits the log's newest checkpoint to every witness at once; returns how many cosigned.</summary>
    public async Task<int> SubmitAsync(KeyTransparencyLog log, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(witnesses.Select(w => SubmitOneAsync(log, w, cancellationToken)));
        return results.Count(r => r);
    }

    private async Task<bool> SubmitOneAsync(KeyTransparencyLog log, WitnessEndpoint witness, CancellationToken cancellationToken)
    {
        var key = (log.Origin, witness.Key.VerifierKey);
        try
        {
            // At most two tries: the second with the size a 409 told us (C2SP tlog-witness: a client without
            // state MAY start from 0 to learn it).
            for (var attempt = 0; attempt < 2; attempt++)
            {
                long oldSize;
                lock (_lock)
                {
                    oldSize = _sizes.GetValueOrDefault(key);
                }

                if (log.WitnessRequest(oldSize) is not { } request)
                {
                    logger.LogWarning("witness {Witness} holds size {Size} of {Origin}, beyond our log: refusing to submit", witness.Key.Name, oldSize, log.Origin);
                    return false;
                }

                using var content = new StringContent(request.Format(), Encoding.UTF8, "text/plain");
                using var response = await http.PostAsync(new Uri(witness.SubmissionPrefix, "add-checkpoint"), content, cancellationToken);
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.Conflict
                    && long.TryParse(body.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var witnessSize)
                    && witnessSize != oldSize)
                {
                    lock (_lock)
                    {
                        _sizes[key] = witnessSize;
                    }

                    continue;
                }

                if (response.StatusCode != HttpStatusCode.OK)
                {
                    logger.LogWarning("witness {Witness} refused checkpoint {Size} of {Origin}: {Status} {Body}",
                        witness.Key.Name, request.OldSize, log.Origin, (int)response.StatusCode, body.Trim());
                    return false;
                }

                var text = SignedNote.Parse(request.Note).Text;
                var cosigned = SignedNote.Parse(request.Note + body);
                // C2SP tlog-witness: cosignatures from unknown keys are ignored; only a valid one of this witness is kept.
                var valid = cosigned.Signatures
                    .Where(s => s.KeyName == witness.Key.Name && s.KeyId == witness.Key.KeyId && witness.Key.FindValid(text, [s]) is not null)
                    .ToList();
                if (valid.Count == 0)
                {
                    logger.LogWarning("witness {Witness} answered no valid cosignature for {Origin}", witness.Key.Name, log.Origin);
                    return false;
                }

                lock (_lock)
                {
                    _sizes[key] = Checkpoint.Parse(text).Size;
                }

                return log.AddCosignatures(text, valid);
            }

            return false;
        }
        catch (Exception e) when (e is HttpRequestException or NoteFormatException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("witness {Witness} unreachable for {Origin}: {Error}", witness.Key.Name, log.Origin, e.Message);
            return false;
        }
    }
}
