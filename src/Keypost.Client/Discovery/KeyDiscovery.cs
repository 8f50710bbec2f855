using Keypost.Client.Contacts;
using Keypost.Core.Addresses;

namespace Keypost.Client.Discovery;

/// <summary>
/// Finds a recipient's key by WKD and holds it against the user's pin: first use pins it, the same key is
/// confirmed, and a different key is refused (or, by choice, used with a warning) showing both fingerprints.
/// </summary>
public sealed class KeyDiscovery(WkdClient wkd, PinStore pins, KeyChangePolicy onChange = KeyChangePolicy.Refuse)
{
    public async Task<DiscoveredKey> DiscoverAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        var lookup = await wkd.LookupAsync(address, cancellationToken);
        if (lookup.Certificate is not { } certificate)
        {
            return new DiscoveredKey(address, lookup, null, false, $"no key published for {address}");
        }

        var pin = await pins.CheckAsync(address, certificate.Fingerprint, cancellationToken);
        return pin.Outcome switch
        {
            PinOutcome.New => new DiscoveredKey(address, lookup, pin, true, $"{certificate.Fingerprint}, found by WKD ({lookup.Method.ToString().ToLowerInvariant()} method), pinned on first use"),
            PinOutcome.Match => new DiscoveredKey(address, lookup, pin, true, $"{certificate.Fingerprint}, matches the pin ({Describe(pin.Previous!.Method)} since {pin.Previous.FirstSeen:yyyy-MM-dd})"),
            _ => new DiscoveredKey(
                address,
                lookup,
                pin,
                onChange == KeyChangePolicy.Warn,
                $"the key for {address} CHANGED: pinned {pin.Previous!.Fingerprint}, now offered {certificate.Fingerprint}; "
                + $"check the new fingerprint with {address} and run 'keypost contact verify {address} {certificate.Fingerprint}'"),
        };
    }

    private static string Describe(PinMethod method) => method switch
    {
        PinMethod.Fingerprint => "fingerprint checked by you",
        PinMethod.Transparency => "proved by the transparency log",
        _ => "trusted on first use",
    };
}
