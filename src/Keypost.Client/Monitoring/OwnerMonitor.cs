using System.Globalization;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Wkd;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;

namespace Keypost.Client.Monitoring;

/// <summary>
/// In charge of watching the user's own address in the log and raising an alert for any version the user did not make.
/// The owner watching his own address in his domain's log (KEYTRANS "monitoring"): the newest binding, proved
/// against the pinned log key and consistent with the checkpoint held, compared with the keys the owner holds and
/// with the version seen at the last check. In a log with history chains every version since the last check is
/// fetched (the history answer) and proved by the chain the newest binding commits to, so each key and revocation
/// is judged; in an older log versions replaced between two checks are detected by the version counter only.
/// </summary>
public sealed class OwnerMonitor(HttpClient http, LogStore logs, TimeProvider clock)
{
    public async Task<MonitorReport> CheckAsync(EmailAddress address, IReadOnlyCollection<string> ownFingerprints, CancellationToken cancellationToken)
    {
        var origin = LogLocation.Origin(address.Domain);
        var prefix = LogLocation.Prefix(address.Domain, advanced: true);
        var (pinnedKey, held) = await logs.FindAsync(origin, cancellationToken);
        var servedKey = System.Text.Encoding.UTF8.GetString(await GetAsync(new Uri(prefix, "vkey"), cancellationToken)).Trim();
        if (pinnedKey is not null && pinnedKey != servedKey)
        {
            throw new LookupException(LookupCheck.CheckpointSignature, $"the log key changed: pinned {pinnedKey}, now offered {servedKey}");
        }

        NoteVerifier verifier;
        try
        {
            verifier = NoteVerifier.Parse(pinnedKey ?? servedKey);
        }
        catch (NoteFormatException e)
        {
            throw new LookupException(LookupCheck.Malformed, "the log key is malformed: " + e.Message);
        }

        var query = $"lookup/{WkdHash.Compute(address)}?l={Uri.EscapeDataString(address.LocalPart)}"
            + (held is null ? "" : "&from=" + held.Size.ToString(CultureInfo.InvariantCulture));
        var proof = await GetAsync(new Uri(prefix, query), cancellationToken);
        var verified = new LookupVerifier(verifier, origin).Verify(address.Canonical, proof, held, clock.GetUtcNow());
        await logs.SaveAsync(origin, verifier.VerifierKey, verified.Checkpoint, verified.CheckpointNote, cancellationToken);

        var epoch = verified.Epoch.Epoch;
        var binding = verified.Binding;
        var version = binding?.Version ?? 0;
        var fingerprint = binding is null ? "" : Convert.ToHexString(binding.Fingerprint);
        var revokedByOwner = await logs.OwnRevocationsAsync(address.Canonical, cancellationToken);
        var alerts = verified.Epoch.History
            ? await CheckHistoryAsync(address, prefix, verified, ownFingerprints, revokedByOwner, cancellationToken)
            : await CheckCounterAsync(address, verified, ownFingerprints, revokedByOwner, cancellationToken);
        return new MonitorReport(verified.Checkpoint.Size, epoch, version, fingerprint, alerts);
    }

    /// <summary>
    /// A log with history chains: every version since the last clean check, hashed forward to the chain the proven
    /// newest binding commits to, each judged against the keys the owner holds and the revocations he made.
    /// </summary>
    private async Task<IReadOnlyList<MonitorAlert>> CheckHistoryAsync(EmailAddress address, Uri prefix, VerifiedLookup verified,
        IReadOnlyCollection<string> own, IReadOnlySet<string> revokedByOwner, CancellationToken cancellationToken)
    {
        var alerts = new List<MonitorAlert>();
        var epoch = verified.Epoch.Epoch;
        var held = await logs.MonitoredHistoryAsync(address.Canonical, cancellationToken);
        var (judged, knownVersion, knownChain) = held is { } h ? (h.Version, h.Version - 1, h.ChainBefore) : (0L, 0L, BindingHistory.Start());
        if (verified.Binding is not { } newest)
        {
            if (judged > 0)
            {
                alerts.Add(new MonitorAlert(0, epoch, "", $"the log no longer holds your address (version {judged} was seen)"));
            }

            return alerts;
        }

        if (newest.Version < judged)
        {
            alerts.Add(new MonitorAlert(newest.Version, epoch, Convert.ToHexString(newest.Fingerprint), $"the version went back from {judged}"));
            return alerts;
        }

        // The records of every version from the one judged last (re-proved) to the newest, in pages.
        var records = new List<HistoryRecord>();
        while (records.Count < newest.Version - knownVersion)
        {
            var since = knownVersion + records.Count;
            var query = $"history/{WkdHash.Compute(address)}?l={Uri.EscapeDataString(address.LocalPart)}&since={since.ToString(CultureInfo.InvariantCulture)}";
            var page = HistoryAnswerCodec.Decode(await GetAsync(new Uri(prefix, query), cancellationToken));
            if (page.Count == 0 || page[0].Version != since + 1)
            {
                break;
            }

            records.AddRange(page.Take((int)(newest.Version - since)));
        }

        try
        {
            _ = HistoryVerifier.Verify(knownChain, knownVersion, records, newest);
        }
        catch (LookupException e)
        {
            alerts.Add(new MonitorAlert(newest.Version, epoch, Convert.ToHexString(newest.Fingerprint), "the log's history does not verify: " + e.Message));
            return alerts;
        }

        foreach (var record in records.Where(r => r.Version > judged))
        {
            var key = Convert.ToHexString(record.Fingerprint);
            if (record.Epoch > epoch)
            {
                alerts.Add(new MonitorAlert(record.Version, record.Epoch, key, $"the history names epoch {record.Epoch}, beyond the newest ({epoch})"));
            }
            else if (!own.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                alerts.Add(new MonitorAlert(record.Version, record.Epoch, key,
                    record.Revoked ? "the log binds your address to a revoked key you do not hold" : "the log binds your address to a key you do not hold"));
            }
            else if (record.Revoked && !revokedByOwner.Contains(key))
            {
                alerts.Add(new MonitorAlert(record.Version, record.Epoch, key, "a revocation of your key that you did not make"));
            }
        }

        // Only a clean check moves the mark: an alert repeats until the owner has dealt with it. The chain kept is
        // the one through the version before the newest, so the next check proves the newest record's epoch too.
        if (alerts.Count == 0)
        {
            var before = records.Count >= 2 ? ChainThrough(knownChain, records.SkipLast(1)) : knownChain;
            await logs.SaveMonitoredHistoryAsync(address.Canonical, newest.Version, before, cancellationToken);
        }

        return alerts;
    }

    /// <summary>Records a revocation the owner made himself, so the monitor does not alert on it.</summary>
    public Task RecordOwnRevocationAsync(EmailAddress address, string fingerprint, CancellationToken cancellationToken) =>
        logs.RecordOwnRevocationAsync(address.Canonical, fingerprint, cancellationToken);

    private static byte[] ChainThrough(byte[] chain, IEnumerable<HistoryRecord> records)
    {
        foreach (var record in records)
        {
            chain = BindingHistory.Next(chain, record);
        }

        return chain;
    }

    /// <summary>
    /// A log made before history chains: the newest binding and the version counter (versions published and
    /// replaced between two checks are detected, but their keys cannot be shown).
    /// </summary>
    private async Task<IReadOnlyList<MonitorAlert>> CheckCounterAsync(EmailAddress address, VerifiedLookup verified,
        IReadOnlyCollection<string> ownFingerprints, IReadOnlySet<string> revokedByOwner, CancellationToken cancellationToken)
    {
        var last = await logs.MonitoredVersionAsync(address.Canonical, cancellationToken);
        var epoch = verified.Epoch.Epoch;
        var alerts = new List<MonitorAlert>();
        var binding = verified.Binding;
        var version = binding?.Version ?? 0;
        var fingerprint = binding is null ? "" : Convert.ToHexString(binding.Fingerprint);
        if (binding is null)
        {
            if (last > 0)
            {
                alerts.Add(new MonitorAlert(0, epoch, "", $"the log no longer holds your address (version {last} was seen)"));
            }
        }
        else
        {
            if (version < last)
            {
                alerts.Add(new MonitorAlert(version, epoch, fingerprint, $"the version went back from {last}"));
            }
            else if (version > last + 1)
            {
                alerts.Add(new MonitorAlert(version, epoch, fingerprint,
                    $"versions {last + 1} to {version - 1} were published and replaced since your last check; this log (made before history chains) cannot show their keys"));
            }

            if (!ownFingerprints.Contains(fingerprint, StringComparer.OrdinalIgnoreCase))
            {
                alerts.Add(new MonitorAlert(version, epoch, fingerprint, "the log binds your address to a key you do not hold"));
            }
            else if (binding.Revoked && version > last && !revokedByOwner.Contains(fingerprint))
            {
                alerts.Add(new MonitorAlert(version, epoch, fingerprint, "a revocation of your key that you did not make"));
            }
        }

        // Only a clean check moves the mark: an alert repeats until the owner has dealt with it.
        if (alerts.Count == 0)
        {
            await logs.SaveMonitoredVersionAsync(address.Canonical, version, cancellationToken);
        }

        return alerts;
    }

    private async Task<byte[]> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new WkdException($"{url.Host} answered {(int)response.StatusCode} {response.ReasonPhrase} for {url.AbsolutePath}");
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await OpenPgpInput.ReadCappedAsync(body, LogChecker.MaxResponseBytes, cancellationToken);
    }
}
