using Keypost.Transparency.Map;

namespace Keypost.Transparency.Lookup;

/// <summary>
/// A monitor's check of an address's history (docs/transparency.md, "History chain"): starting from the chain it
/// verified through version <c>v</c>, the records of versions v+1 .. newest hash forward to the chain the proven
/// newest binding commits to (<see cref="Binding.History"/>), and the newest record is that binding. Then every
/// version in between is exactly as logged, with its key, revocation flag and epoch.
/// </summary>
public static class HistoryVerifier
{
    /// <summary>
    /// Verifies <paramref name="records"/> (versions <paramref name="knownVersion"/>+1 .. the newest) against the
    /// proven <paramref name="newest"/> binding; returns the chain through the newest version. Throws
    /// <see cref="LookupException"/> (<see cref="LookupCheck.History"/>) when they do not match.
    /// </summary>
    public static byte[] Verify(ReadOnlySpan<byte> knownChain, long knownVersion, IReadOnlyList<HistoryRecord> records, Binding newest)
    {
        if (newest.History is null)
        {
            throw new LookupException(LookupCheck.History, "the log's bindings carry no history chain");
        }

        if (newest.Version <= knownVersion)
        {
            throw new LookupException(LookupCheck.History, $"version {newest.Version} is not above the version {knownVersion} already verified");
        }

        if (records.Count != newest.Version - knownVersion || records[0].Version != knownVersion + 1)
        {
            throw new LookupException(LookupCheck.History, $"versions {knownVersion + 1} to {newest.Version} were asked for, {records.Count} records came starting at {(records.Count > 0 ? records[0].Version : 0)}");
        }

        var chain = knownChain.ToArray();
        for (var i = 0; i < records.Count - 1; i++)
        {
            chain = BindingHistory.Next(chain, records[i]);
        }

        if (!chain.AsSpan().SequenceEqual(newest.History))
        {
            throw new LookupException(LookupCheck.History, $"the records of versions {knownVersion + 1} to {newest.Version - 1} do not hash to the chain version {newest.Version} commits to");
        }

        var last = records[^1];
        if (last.Version != newest.Version || last.Revoked != newest.Revoked
            || !last.Fingerprint.AsSpan().SequenceEqual(newest.Fingerprint) || !last.CertificateHash.AsSpan().SequenceEqual(newest.CertificateHash))
        {
            throw new LookupException(LookupCheck.History, $"the record of version {newest.Version} is not the proven binding");
        }

        return BindingHistory.Next(chain, last);
    }
}
