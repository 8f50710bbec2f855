namespace Keypost.Directory.Storage;

/// <summary>One served certificate as a listing shows it: who, which key, since when; not the key data.</summary>
public sealed record CertificateListing(string Address, string Fingerprint, bool Revoked, DateTimeOffset PublishedAt);
