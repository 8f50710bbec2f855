using Keypost.Core.OpenPgp;
using Keypost.Directory.Storage;

namespace Keypost.Directory.Lifecycle;

/// <summary>
/// In charge of deciding which accounts to remind of a key about to expire.
/// Decides which owners are due a "your key expires soon" mail (issue #12, item 5: "owners are mailed 30 days and 7
/// days before their key expires"). A key counts as expiring when senders will stop encrypting to it: the primary
/// key's expiry, or the last of its encryption subkeys' if that comes first. Each threshold is mailed once per key;
/// a key first seen inside a threshold gets only the nearest one (a key published with 5 days left is told once,
/// not twice).
/// </summary>
public sealed class ExpiryReminderPlanner(DirectoryStore store, IReadOnlyList<int> thresholdDays)
{
    private readonly int[] _thresholds = thresholdDays.Count > 0 && thresholdDays.All(d => d > 0)
        ? thresholdDays.Distinct().Order().ToArray()
        : throw new ArgumentException("reminder thresholds must be positive days", nameof(thresholdDays));

    /// <summary>The reminders due at <paramref name="now"/> that <paramref name="alreadySent"/> does not yet know of.</summary>
    public async Task<IReadOnlyList<ExpiryReminder>> DueAsync(DateTimeOffset now, Func<ExpiryReminder, CancellationToken, Task<bool>> alreadySent, CancellationToken cancellationToken)
    {
        var due = new List<ExpiryReminder>();
        var workedOut = new List<(long Id, DateTimeOffset? UsableUntil)>();
        await foreach (var row in store.StreamCurrentExpiryAsync(cancellationToken))
        {
            // Stored at publication; parsed here only for a row from before that was stored (then stored too), so a
            // run with nothing new parses nothing (issue #14: an idle server does not load the OpenPGP library).
            var usableUntil = row.UsableUntil;
            if (!row.Known)
            {
                usableUntil = UsableUntil(row.Data!, now);
                workedOut.Add((row.Id, usableUntil));
            }

            var (address, fingerprint, revoked) = (row.Address, row.Fingerprint, row.Revoked);
            if (revoked || usableUntil is not { } expiresAt || expiresAt <= now)
            {
                // Revoked keys are replaced, not renewed; an expired key already stops every send with its reason.
                continue;
            }

            var left = expiresAt - now;
            var threshold = _thresholds.FirstOrDefault(days => left <= TimeSpan.FromDays(days));
            if (threshold == 0)
            {
                continue;
            }

            var reminder = new ExpiryReminder(address, fingerprint, expiresAt, threshold);
            if (!await alreadySent(reminder, cancellationToken))
            {
                due.Add(reminder);
            }
        }

        foreach (var (id, usableUntil) in workedOut)
        {
            await store.RecordUsableUntilAsync(id, usableUntil, cancellationToken);
        }

        return due;
    }

    /// <summary>
    /// When senders stop encrypting to this certificate; null when never (or when it cannot be read). Worked out once,
    /// at publication: the answer holds later too, since a subkey that stops being usable was not the last to expire
    /// (only a subkey made with a creation time in the future would count later and not now).
    /// </summary>
    public static DateTimeOffset? UsableUntil(byte[] data, DateTimeOffset now)
    {
        Certificate certificate;
        try
        {
            certificate = Certificate.Parse(data);
        }
        catch (OpenPgpException)
        {
            // Served certificates passed the publish policy; one that no longer parses is the monitor's business.
            return null;
        }

        var subkeys = certificate.Subkeys.Where(s => s.IsUsableForEncryption(now)).ToList();
        DateTimeOffset? subkeyEnd = subkeys.Count == 0 || subkeys.Any(s => s.ExpiresAt is null) ? null : subkeys.Max(s => s.ExpiresAt);
        return (certificate.ExpiresAt, subkeyEnd) switch
        {
            (null, var s) => s,
            (var p, null) => p,
            (var p, var s) => p < s ? p : s,
        };
    }
}
