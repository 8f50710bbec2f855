using Keypost.Client.Contacts;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Client.Discovery;

/// <summary>What discovery found for an address, how, and whether it may be used.</summary>
public sealed record DiscoveredKey(EmailAddress Address, WkdLookupResult Lookup, PinCheck? Pin, bool Usable, string Explanation)
{
    public Certificate? Certificate => Lookup.Certificate;
}
