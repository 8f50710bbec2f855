namespace Keypost.Client.Reading;

/// <summary>A folder as listed: its UIDVALIDITY, every message's own state, and how much waits in Junk.</summary>
/// <param name="Folder">The folder listed.</param>
/// <param name="UidValidity">RFC 9051 §2.3.1.1: the UIDs below are valid with this value only.</param>
/// <param name="Messages">One entry per message, in UID order.</param>
/// <param name="JunkCount">Messages in Junk, when the listed folder is the inbox and Junk exists.</param>
public sealed record MailboxListing(string Folder, uint UidValidity, IReadOnlyList<ReadMessage> Messages, int? JunkCount);
