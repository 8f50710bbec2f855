using System.Net;

namespace Keypost.Mail.Smtp;

/// <summary>What the SMTP session knew about its client when a message was handed over.</summary>
public sealed record SmtpSessionInfo(
    SmtpListenerKind Kind,
    IPAddress RemoteAddress,
    string HeloName,
    bool IsSecure,
    string? AuthenticatedAccount);
