namespace Keypost.Mail.Dmarc;

/// <summary>
/// The DMARC verdict. <see cref="AppliedPolicy"/> is what to do with the message: <see cref="DmarcPolicy.None"/>
/// on pass/none/temperror, the record's policy (after pct= sampling) on fail, and Reject on a malformed From
/// (RFC 7489 §6.6.1).
/// </summary>
public sealed record DmarcCheckResult(
    DmarcResult Result,
    string? FromDomain,
    DmarcPolicy AppliedPolicy,
    DmarcRecord? Record = null,
    string? Reason = null);
