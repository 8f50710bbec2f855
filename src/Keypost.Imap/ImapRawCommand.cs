namespace Keypost.Imap;

/// <summary>
/// One command as received: text segments (lines without CRLF, each but the last ending in a literal marker) and
/// the literal octets between them, in order. <see cref="Refusal"/> is set when a literal was refused unread.
/// </summary>
internal sealed record ImapRawCommand(IReadOnlyList<object> Parts, string Tag, string? Refusal, bool Fatal);
