namespace Keypost.Server.Configuration;

/// <summary>The key transparency log (docs/transparency.md): how often an epoch is sealed when nothing changed.</summary>
public sealed class TransparencyConfig
{
    /// <summary>An epoch at least this often, so clients see a fresh checkpoint; changes are logged within about a second.</summary>
    public int EpochIntervalSeconds { get; set; } = 3600;
}
