using Keypost.Core.Addresses;

namespace Keypost.Mail.Smtp;

/// <summary>The parsed argument of MAIL FROM or RCPT TO.</summary>
internal sealed record SmtpPath(
    SmtpPathStatus Status,
    EmailAddress? Address,
    IReadOnlyList<KeyValuePair<string, string?>> Parameters,
    bool IsNonAscii,
    string? Error);
