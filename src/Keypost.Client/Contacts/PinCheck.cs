namespace Keypost.Client.Contacts;

public enum PinOutcome
{
    /// <summary>No pin yet: the key is pinned on first use.</summary>
    New,

    /// <summary>The key is the pinned one.</summary>
    Match,

    /// <summary>The key differs from the pinned one: never accepted silently.</summary>
    Changed,
}

/// <summary>The result of comparing a discovered key with the pin, with both fingerprints when they differ.</summary>
public sealed record PinCheck(PinOutcome Outcome, Pin? Previous, string Fingerprint);
