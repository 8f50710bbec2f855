namespace Keypost.Directory.Monitoring;

/// <summary>
/// One logged version of an address's binding: the certificate row it came from (every row is one version, in id
/// order, as the sequencer numbers them) and the epoch whose map first carried it or the version that replaced it
/// in the same epoch; and the channel the row came through (the operator's, the account's own, or a WKS
/// confirmation from the owner's mailbox).
/// </summary>
public sealed record BindingVersion(
    string Address,
    long Version,
    long Epoch,
    long CertificateId,
    string Fingerprint,
    bool Revoked,
    byte[] Certificate,
    string PublishedAt,
    Storage.PublicationChannel Channel);
