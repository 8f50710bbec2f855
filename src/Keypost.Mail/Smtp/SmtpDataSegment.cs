namespace Keypost.Mail.Smtp;

/// <summary>
/// A piece of message data: a whole line with its CRLF (<see cref="EndsLine"/>), or the start of a line too long
/// for the buffer. <see cref="Octets"/> points into the connection's buffer and is valid until the next read.
/// </summary>
internal readonly record struct SmtpDataSegment(ReadOnlyMemory<byte> Octets, bool EndsLine)
{
    /// <summary>The line's content, without its CRLF.</summary>
    public ReadOnlyMemory<byte> Data => EndsLine ? Octets[..^2] : Octets;
}
