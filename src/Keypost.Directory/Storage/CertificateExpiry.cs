namespace Keypost.Directory.Storage;

/// <summary>
/// A current certificate row and when senders stop encrypting to it (<c>UsableUntil</c>; null: never, or
/// unreadable). <c>Known</c> is false for a row published before that was stored; <c>Data</c> is then its bytes.
/// </summary>
public sealed record CertificateExpiry(long Id, string Address, string Fingerprint, bool Revoked, bool Known, DateTimeOffset? UsableUntil, byte[]? Data);
