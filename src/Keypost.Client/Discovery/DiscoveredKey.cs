using Keypost.Client.Contacts;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;

namespace Keypost.Client.Discovery;

/// <summary>
/// What discovery found for an address, how, and whether it may be used. <see cref="Log"/> is the transparency
/// log's proof when it verified; <see cref="LogFailure"/> names the failed check when it did not (the send stops).
/// <see cref="KeyProblem"/> says why the published key itself cannot be encrypted to (revoked, expired).
/// </summary>
public sealed record DiscoveredKey(EmailAddress Address, WkdLookupResult Lookup, PinCheck? Pin, bool Usable, string Explanation,
    Keypost.Transparency.Lookup.VerifiedLookup? Log = null, string? LogFailure = null, string? KeyProblem = null)
{
    public Certificate? Certificate => Lookup.Certificate;
}
