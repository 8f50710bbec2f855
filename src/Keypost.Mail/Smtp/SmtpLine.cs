namespace Keypost.Mail.Smtp;

/// <summary>A command line without its CRLF.</summary>
internal readonly record struct SmtpLine(SmtpLineStatus Status, byte[] Bytes);
