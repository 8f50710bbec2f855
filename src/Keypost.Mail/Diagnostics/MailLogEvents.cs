using Microsoft.Extensions.Logging;

namespace Keypost.Mail.Diagnostics;

/// <summary>
/// In charge of the mail server's log events.
/// The event ids of the mail side's log lines, stable so that a log shipper can select them (1xxx SMTP,
/// 2xxx queue and delivery, 3xxx IMAP).
/// </summary>
public static class MailLogEvents
{
    public static readonly EventId SmtpTransaction = new(1001, "SmtpTransaction");
    public static readonly EventId SmtpSessionError = new(1002, "SmtpSessionError");
    public static readonly EventId SmtpAcceptFailed = new(1003, "SmtpAcceptFailed");
    public static readonly EventId SmtpDraining = new(1010, "SmtpDraining");
    public static readonly EventId SmtpDrained = new(1011, "SmtpDrained");
    public static readonly EventId SmtpShutdownReply = new(1012, "SmtpShutdownReply");
    public static readonly EventId SmtpLoginLimits = new(1020, "SmtpLoginLimits");
    public static readonly EventId SmtpAuthFailed = new(1021, "SmtpAuthFailed");
    public static readonly EventId SmtpAddressBlocked = new(1022, "SmtpAddressBlocked");
    public static readonly EventId SmtpTooManyConnections = new(1023, "SmtpTooManyConnections");
    public static readonly EventId SmtpConnectionRate = new(1024, "SmtpConnectionRate");
    public static readonly EventId Queued = new(2001, "Queued");
    public static readonly EventId DeliveryAttempt = new(2002, "DeliveryAttempt");
    public static readonly EventId DeliveryPassFailed = new(2003, "DeliveryPassFailed");
    public static readonly EventId Bounced = new(2004, "Bounced");
    public static readonly EventId AtRestEncrypted = new(2010, "AtRestEncrypted");
    public static readonly EventId AtRestKeyUnusable = new(2011, "AtRestKeyUnusable");
    public static readonly EventId ImapLogin = new(3001, "ImapLogin");
    public static readonly EventId ImapSessionError = new(3002, "ImapSessionError");
    public static readonly EventId ImapStopping = new(3010, "ImapStopping");
}
