namespace Keypost.Client.Contacts;

public enum PinOutcome
{
    /// <summary>No pin yet: the key is pinned on first use.</summary>
    New,

    /// <summary>The key is the pinned one.</summary>
    Match,

    /// <summary>The key differs from the pinned one: never accepted silently, unless it is a proved successor.</summary>
    Changed,

    /// <summary>
    /// The key differs, but the pinned key certified it as its successor (a transition signature) and the log proved
    /// it: the pin moves to the new key without asking (docs/lifecycle.md).
    /// </summary>
    Rotated,
}

/// <summary>The result of comparing a discovered key with the pin, with both fingerprints when they differ.</summary>
public sealed record PinCheck(PinOutcome Outcome, Pin? Previous, string Fingerprint);
