using System.Globalization;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Wkd;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Notes;

namespace Keypost.Client.Monitoring;

/// <summary>
/// The owner watching his own address in his domain's log (KEYTRANS "monitoring"): the newest binding, proved
/// against the pinned log key and consistent with the checkpoint held, compared with the keys the owner holds and
/// with the version seen at the last check. The map keeps one leaf per address (docs/transparency.md), so versions
/// published and replaced between two checks are detected by the version counter but not examined one by one.
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
                    $"versions {last + 1} to {version - 1} were published and replaced since your last check; you did not see their keys"));
            }

            if (!ownFingerprints.Contains(fingerprint, StringComparer.OrdinalIgnoreCase))
            {
                alerts.Add(new MonitorAlert(version, epoch, fingerprint, "the log binds your address to a key you do not hold"));
            }
        }

        // Only a clean check moves the mark: an alert repeats until the owner has dealt with it.
        if (alerts.Count == 0)
        {
            await logs.SaveMonitoredVersionAsync(address.Canonical, version, cancellationToken);
        }

        return new MonitorReport(verified.Checkpoint.Size, epoch, version, fingerprint, alerts);
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
