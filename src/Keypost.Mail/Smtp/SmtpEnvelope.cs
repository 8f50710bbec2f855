using Keypost.Core.Addresses;

namespace Keypost.Mail.Smtp;

/// <summary>The RFC 5321 envelope of one message: a null reverse-path (&lt;&gt;) is <c>null</c>.</summary>
public sealed record SmtpEnvelope(
    EmailAddress? ReversePath,
    IReadOnlyList<EmailAddress> Recipients,
    bool SmtpUtf8 = false,
    bool EightBitMime = false);
