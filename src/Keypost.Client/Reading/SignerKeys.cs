using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using MimeKit;

namespace Keypost.Client.Reading;

/// <summary>
/// Finds the certificate that should have made a signature, without turning reading into a read receipt:
/// the key already held (the pinned one first) is used as is; a WKD lookup of the sender happens only for a signed
/// message whose key is not held, only when this reader allows lookups (listing a folder, never opening one
/// message), at most once per sender per <see cref="LookupPeriod"/>, and never when lookups are off.
/// </summary>
public sealed class SignerKeys(
    KnownSignerKeys known,
    PinStore? pins,
    KeyDiscovery? discovery,
    TimeProvider clock,
    TimeSpan? lookupPeriod = null)
{
    /// <summary>Default: a sender's domain hears from this reader at most once a day.</summary>
    public static readonly TimeSpan DefaultLookupPeriod = TimeSpan.FromHours(24);

    public TimeSpan LookupPeriod { get; } = lookupPeriod ?? DefaultLookupPeriod;

    /// <summary>False when built without discovery: no lookup is ever made.</summary>
    public bool LookupsEnabled => discovery is not null;

    /// <summary>What the last lookups reported that the user should see (a failed lookup, a changed key).</summary>
    public List<string> Notes { get; } = [];

    /// <param name="keyId">The key ID the signature names.</param>
    /// <param name="from">The From the signature is judged against.</param>
    /// <param name="mayLookUp">False when opening one message: the held key or nothing.</param>
    public async ValueTask<Certificate?> FindAsync(ulong keyId, InternetAddressList from, bool mayLookUp, CancellationToken cancellationToken)
    {
        if (from.Mailboxes.FirstOrDefault() is not { } mailbox || !EmailAddress.TryParse(mailbox.Address, out var address, out _) || address is null)
        {
            return null;
        }

        var held = known.Find(address);
        if (held is not null && Carries(held, keyId) && await IsPinnedOrUnpinnedAsync(address, held, cancellationToken))
        {
            return held;
        }

        if (!mayLookUp || discovery is null)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (known.LastLookup(address) is { } last && now - last < LookupPeriod)
        {
            return null;
        }

        Certificate? found = null;
        try
        {
            var discovered = await discovery.DiscoverAsync(address, cancellationToken);
            if (discovered.Usable)
            {
                found = discovered.Certificate;
            }
            else
            {
                Notes.Add(discovered.Explanation);
            }
        }
        catch (Exception e) when (e is HttpRequestException or WkdException or OpenPgpException)
        {
            // A domain with broken HTTPS says nothing about the message: the signer stays unknown.
            Notes.Add($"looking up {address} failed: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Notes.Add($"looking up {address} timed out");
        }

        await known.RecordLookupAsync(address, now, found, cancellationToken);
        return found is not null && Carries(found, keyId) ? found : null;
    }

    private static bool Carries(Certificate certificate, ulong keyId) =>
        certificate.KeyId == keyId || certificate.Subkeys.Any(s => s.KeyId == keyId);

    // The pin wins: a held key that is not the pinned one is not used (the pin changed after a verify).
    private async Task<bool> IsPinnedOrUnpinnedAsync(EmailAddress address, Certificate held, CancellationToken cancellationToken) =>
        pins is null || await pins.FindAsync(address, cancellationToken) is not { } pin
        || string.Equals(pin.Fingerprint, held.Fingerprint, StringComparison.OrdinalIgnoreCase);
}
