namespace Keypost.Directory.Monitoring;

/// <summary>What the server's monitor knows of one owner: the last version it judged and the keys it found he made.</summary>
public sealed class OwnerKeys(string address, long version, IEnumerable<string> fingerprints)
{
    public string Address { get; } = address;

    /// <summary>The last version judged (0: none yet).</summary>
    public long Version { get; set; } = version;

    /// <summary>Fingerprints (upper-case hex) of the keys the owner made, as the rules found them.</summary>
    public HashSet<string> Fingerprints { get; } = new(fingerprints, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The newest certificate the directory holds for each of <see cref="Fingerprints"/> (as the monitor read it,
    /// or a version a rule claimed during this run), for rules that check a signature by one of the owner's keys.
    /// </summary>
    public Dictionary<string, byte[]> Certificates { get; } = new(StringComparer.OrdinalIgnoreCase);
}
