namespace Keypost.Directory.Storage;

/// <summary>One row of an address's certificate history.</summary>
public sealed record PublishedCertificate(
    long Id,
    string Address,
    string Fingerprint,
    CertificateState State,
    bool Revoked,
    DateTimeOffset PublishedAt,
    DateTimeOffset? EndedAt,
    byte[] Data);
