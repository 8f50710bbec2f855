namespace Keypost.Mail.Smtp;

/// <summary>
/// A piece of message data: a whole line without its CRLF (<see cref="EndsLine"/>), or the start of a line too
/// long for the buffer. <see cref="Data"/> points into the connection's buffer and is valid until the next read.
/// </summary>
internal readonly record struct SmtpDataSegment(ReadOnlyMemory<byte> Data, bool EndsLine, bool EndOfStream);
