namespace Keypost.Directory.Monitoring;

/// <summary>What the server's monitor knows of one owner: the last version it judged and the keys it found he made.</summary>
public sealed class OwnerKeys(string address, long version, IEnumerable<string> fingerprints)
{
    public string Address { get; } = address;

    /// <summary>The last version judged (0: none yet).</summary>
    public long Version { get; set; } = version;

    /// <summary>Fingerprints (upper-case hex) of the keys the owner made, as the rules found them.</summary>
    public HashSet<string> Fingerprints { get; } = new(fingerprints, StringComparer.OrdinalIgnoreCase);
}
