using Keypost.Client.Contacts;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Client.Discovery;

/// <summary>
/// In charge of finding a correspondent's key: WKD, the log's proof and the pin, agreed or refused.
/// Finds a recipient's key by WKD, holds it to the domain's transparency log when a <see cref="LogChecker"/> is
/// given, and to the user's pin: first use pins it, the same key is confirmed, and a different key is refused (or,
/// by choice, used with a warning) showing both fingerprints. A failed log check makes the key unusable and names
/// the check; a domain without a log is refused when <paramref name="logRequired"/> says so for its domain, and
/// otherwise falls back to the pins with a warning.
/// </summary>
public sealed class KeyDiscovery(WkdClient wkd, PinStore pins, KeyChangePolicy onChange = KeyChangePolicy.Refuse,
    LogChecker? log = null, Func<string, bool>? logRequired = null, TimeProvider? clock = null)
{
    public async Task<DiscoveredKey> DiscoverAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        var lookup = await wkd.LookupAsync(address, cancellationToken);
        if (lookup.Certificate is not { } certificate)
        {
            return new DiscoveredKey(address, lookup, null, false, $"no key published for {address}");
        }

        LogCheckResult? logged = null;
        if (log is not null)
        {
            try
            {
                logged = await log.CheckAsync(lookup, cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or WkdException
                || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                logged = new LogCheckResult(LogOutcome.Failed, $"transparency check failed: the log of {address.Domain} did not answer ({e.Message})");
            }

            if (logged.Outcome == LogOutcome.Failed)
            {
                return new DiscoveredKey(address, lookup, null, false, $"{certificate.Fingerprint} refused for {address}: {logged.Message}", LogFailure: logged.Message);
            }

            if (logged.Outcome == LogOutcome.NoLog && logRequired?.Invoke(address.Domain) == true)
            {
                var message = $"{address.Domain} publishes no transparency log, and the policy for {address.Domain} requires one";
                return new DiscoveredKey(address, lookup, null, false, $"{certificate.Fingerprint} refused for {address}: {message}", LogFailure: message);
            }
        }

        // RFC 4880 §5.2.3.23 and §5.2.3.6: a revoked or expired key is never encrypted to; the reason goes to the sender.
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        var problem = certificate.IsRevoked
            ? $"the key {certificate.Fingerprint} for {address} is REVOKED by its owner; it is not encrypted to"
            : certificate.IsExpired(now)
                ? $"the key {certificate.Fingerprint} for {address} EXPIRED on {certificate.ExpiresAt:yyyy-MM-dd}; it is not encrypted to until its owner renews it"
                : certificate.EncryptionSubkeys(now).Count == 0
                    ? $"the key {certificate.Fingerprint} for {address} has no valid encryption subkey; it is not encrypted to"
                    : null;
        if (problem is not null)
        {
            return new DiscoveredKey(address, lookup, null, false, problem, logged?.Proof, KeyProblem: problem);
        }

        var proved = logged?.Outcome == LogOutcome.Proved;
        var note = logged switch
        {
            { Outcome: LogOutcome.Proved } => "; " + logged.Message,
            { Outcome: LogOutcome.NoLog } => $"; WARNING: {logged.Message}, so only the pin vouches for it",
            _ => "",
        };
        var pin = await pins.CheckAsync(address, certificate.Fingerprint, cancellationToken);
        if (pin.Outcome == PinOutcome.Changed && proved)
        {
            // docs/lifecycle.md: a key the pinned key certified as its successor, which the log proves is the
            // address's key, is the owner's rotation, accepted silently. Without either, the changed-key policy applies.
            var pinned = await pins.FindCertificateAsync(address, pin.Previous!.Fingerprint, cancellationToken);
            // The transition signature is a certification by another key, which minimising drops: check the served bytes.
            var served = lookup.Served is { } raw ? Certificate.Parse(raw, WkdClient.MaxResponseBytes) : certificate;
            if (pinned is not null && KeyLifecycle.IsSuccessorOf(served, Certificate.Parse(pinned), address))
            {
                await pins.AcceptSuccessorAsync(address, certificate.Fingerprint, cancellationToken);
                await pins.RememberCertificateAsync(address, certificate.Fingerprint, certificate.ToBinary(), cancellationToken);
                return new DiscoveredKey(
                    address,
                    lookup,
                    pin with { Outcome = PinOutcome.Rotated },
                    true,
                    $"{certificate.Fingerprint}, successor of the pinned key {pin.Previous.Fingerprint}: certified by it (transition signature){note}",
                    logged?.Proof);
            }
        }

        if (pin.Outcome != PinOutcome.Changed)
        {
            await pins.RememberCertificateAsync(address, certificate.Fingerprint, certificate.ToBinary(), cancellationToken);
        }

        if (proved && pin.Outcome != PinOutcome.Changed)
        {
            // Pins record "proved by the log".
            await pins.UpgradeAsync(address, certificate.Fingerprint, PinMethod.Transparency, cancellationToken);
        }

        return pin.Outcome switch
        {
            PinOutcome.New => new DiscoveredKey(address, lookup, pin, true, $"{certificate.Fingerprint}, found by WKD ({lookup.Method.ToString().ToLowerInvariant()} method), pinned on first use{note}", logged?.Proof),
            PinOutcome.Match => new DiscoveredKey(address, lookup, pin, true, $"{certificate.Fingerprint}, matches the pin ({Describe(pin.Previous!.Method)} since {pin.Previous.FirstSeen:yyyy-MM-dd}){note}", logged?.Proof),
            _ => new DiscoveredKey(
                address,
                lookup,
                pin,
                onChange == KeyChangePolicy.Warn,
                $"the key for {address} CHANGED: pinned {pin.Previous!.Fingerprint}, now offered {certificate.Fingerprint}{note}; "
                + $"check the new fingerprint with {address} and run 'keypost contact verify {address} {certificate.Fingerprint}'",
                logged?.Proof),
        };
    }

    /// <summary>
    /// The sender's own binding, proved by her domain's log as any lookup is (pinned log key, consistency with the
    /// held checkpoint, witness quorum), without touching pins: what <see cref="Sending.MailSender"/> puts in a
    /// message. Null when no log checker is configured.
    /// </summary>
    public async Task<LogCheckResult?> ProveOwnAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        if (log is null)
        {
            return null;
        }

        var lookup = await wkd.LookupAsync(address, cancellationToken);
        try
        {
            return await log.CheckAsync(lookup, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or WkdException
            || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new LogCheckResult(LogOutcome.Failed, $"the log of {address.Domain} did not answer ({e.Message})");
        }
    }

    private static string Describe(PinMethod method) => method switch
    {
        PinMethod.Fingerprint => "fingerprint checked by you",
        PinMethod.Transparency => "proved by the transparency log",
        _ => "trusted on first use",
    };
}
