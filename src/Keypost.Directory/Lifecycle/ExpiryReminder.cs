namespace Keypost.Directory.Lifecycle;

/// <summary>
/// An owner is due a reminder: the key <paramref name="Fingerprint"/> served for <paramref name="Address"/> stops
/// being usable for encryption at <paramref name="ExpiresAt"/>, <paramref name="Days"/> days or fewer from now.
/// </summary>
public sealed record ExpiryReminder(string Address, string Fingerprint, DateTimeOffset ExpiresAt, int Days);
