namespace Keypost.Mail.Smtp;

/// <summary>How reading message data ended.</summary>
internal enum SmtpDataEnd
{
    /// <summary>At CRLF "." CRLF, every line within the limit.</summary>
    Complete,

    /// <summary>The client went away before the end of data.</summary>
    Disconnected,

    /// <summary>At CRLF "." CRLF, but a line was longer than RFC 5321 allows; what was read is not to be kept.</summary>
    LineTooLong,
}
