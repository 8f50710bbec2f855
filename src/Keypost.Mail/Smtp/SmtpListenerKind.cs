namespace Keypost.Mail.Smtp;

/// <summary>What a listener is for, which decides who may use it and for what.</summary>
public enum SmtpListenerKind
{
    /// <summary>Port 25: mail from other domains to this server's own accounts (RFC 5321).</summary>
    Inbound,

    /// <summary>Port 587 with STARTTLS or 465 with implicit TLS: authenticated accounts sending anywhere (RFC 6409, RFC 8314).</summary>
    Submission,
}
