namespace Keypost.Directory.Storage;

/// <summary>A WKS confirmation request sent and not yet answered (draft-koch-openpgp-webkey-service §4.2).</summary>
public sealed record WksPendingRequest(
    byte[] NonceHash,
    string Address,
    string Fingerprint,
    byte[] Certificate,
    string Client,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? UsedAt);
