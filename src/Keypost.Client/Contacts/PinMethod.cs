namespace Keypost.Client.Contacts;

/// <summary>How a pinned key was checked, weakest first.</summary>
public enum PinMethod
{
    /// <summary>Trusted on first use: the first key discovery found.</summary>
    FirstUse,

    /// <summary>Proved by the domain's transparency log.</summary>
    Transparency,

    /// <summary>The user compared the fingerprint out of band (`keypost contact verify`).</summary>
    Fingerprint,
}
