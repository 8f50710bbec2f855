using Keypost.Client.Contacts;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Client.Discovery;

/// <summary>
/// What discovery found for an address, how, and whether it may be used. <see cref="Log"/> is the transparency
/// log's proof when it verified; <see cref="LogFailure"/> names the failed check when it did not (the send stops).
/// </summary>
public sealed record DiscoveredKey(EmailAddress Address, WkdLookupResult Lookup, PinCheck? Pin, bool Usable, string Explanation,
    Keypost.Transparency.Lookup.VerifiedLookup? Log = null, string? LogFailure = null)
{
    public Certificate? Certificate => Lookup.Certificate;
}
