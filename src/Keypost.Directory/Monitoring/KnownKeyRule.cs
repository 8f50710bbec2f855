namespace Keypost.Directory.Monitoring;

/// <summary>
/// A version whose key is one the owner already made: a re-publication, new expiry or subkeys, or its revocation.
/// All of these are signed by that key itself (the directory takes a revocation only as the key's own revocation
/// signature), so no one without the owner's secret key can make them.
/// </summary>
public sealed class KnownKeyRule : IOwnChangeRule
{
    public string? Explain(BindingVersion version, OwnerKeys owner) =>
        owner.Fingerprints.Contains(version.Fingerprint) ? (version.Revoked ? "revocation of the owner's key" : "the owner's key again") : null;
}
