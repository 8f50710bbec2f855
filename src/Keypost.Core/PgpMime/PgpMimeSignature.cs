namespace Keypost.Core.PgpMime;

/// <summary>The signature state of a received message.</summary>
/// <param name="Status">The verdict; only <see cref="PgpMimeSignatureStatus.Valid"/> counts as signed.</param>
/// <param name="Reason">One line explaining the verdict, fit to show a user.</param>
/// <param name="SignerFingerprint">The signer certificate's primary fingerprint, when a certificate was found.</param>
/// <param name="SignerKeyId">The key ID named by the signature, 16 hex digits.</param>
/// <param name="SignerAddress">The From address the signer was checked against (canonical), if any.</param>
/// <param name="DisplaySignerUserIds">The signer's usable user IDs, escaped with DisplayText.Escape.</param>
public sealed record PgpMimeSignature(
    PgpMimeSignatureStatus Status,
    string Reason,
    string? SignerFingerprint = null,
    string? SignerKeyId = null,
    string? SignerAddress = null,
    IReadOnlyList<string>? DisplaySignerUserIds = null)
{
    public bool IsValid => Status == PgpMimeSignatureStatus.Valid;
}
