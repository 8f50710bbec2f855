namespace Keypost.Transparency.Map;

/// <summary>
/// One version of an address's binding as its history chain records it: the binding's fields and the epoch that
/// logged it (the epoch whose batch carried its certificate row; two versions sealed in one epoch share it).
/// </summary>
public sealed record HistoryRecord(long Version, long Epoch, byte[] Fingerprint, byte[] CertificateHash, bool Revoked);
