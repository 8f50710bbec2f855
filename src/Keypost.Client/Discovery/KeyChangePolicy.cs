namespace Keypost.Client.Discovery;

/// <summary>What to do when discovery finds a key other than the pinned one.</summary>
public enum KeyChangePolicy
{
    /// <summary>Refuse to use it until the user verifies the new fingerprint (the default).</summary>
    Refuse,

    /// <summary>Use it, but say so, with both fingerprints.</summary>
    Warn,
}
