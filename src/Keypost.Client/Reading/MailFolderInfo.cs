namespace Keypost.Client.Reading;

/// <summary>One of the user's folders with its counts (RFC 9051 §6.3.11 STATUS).</summary>
public sealed record MailFolderInfo(string Name, int Messages, int Unread, bool IsJunk);
