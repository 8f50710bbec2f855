namespace Keypost.Transparency.Map;

/// <summary>
/// One version of an address's binding: the certificate's fingerprint, SHA-256 of the minimised certificate exactly
/// as WKD serves it, and whether it is revoked. Versions count up from 1 per address.
/// </summary>
public sealed record Binding(long Version, byte[] Fingerprint, byte[] CertificateHash, bool Revoked)
{
    /// <summary>
    /// In a log with history chains (entry format 3): the chain through the previous version
    /// (<see cref="BindingHistory"/>), 32 bytes, covered by the commitment; null in older logs.
    /// </summary>
    public byte[]? History { get; init; }
}
