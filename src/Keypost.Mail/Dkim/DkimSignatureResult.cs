namespace Keypost.Mail.Dkim;

/// <summary>
/// The verdict on one DKIM-Signature header field. <see cref="SignaturePrefix"/> is the start of <c>b=</c>
/// (RFC 6008: header.b tells signatures from the same d= apart).
/// </summary>
public sealed record DkimSignatureResult(
    DkimResult Result,
    string? Domain,
    string? Selector,
    string? Algorithm,
    string? SignaturePrefix,
    string? Reason = null);
