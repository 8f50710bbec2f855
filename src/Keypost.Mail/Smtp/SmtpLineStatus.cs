namespace Keypost.Mail.Smtp;

internal enum SmtpLineStatus
{
    Line,

    /// <summary>A complete line longer than allowed; it was consumed, the session may go on.</summary>
    TooLong,

    /// <summary>No CRLF within the cap: the rest of the line was never buffered, the session must end.</summary>
    Overflow,

    EndOfStream,
}
