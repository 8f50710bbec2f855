namespace Keypost.Store;

/// <summary>A consistent view of a mailbox: its UIDVALIDITY, next UID and messages in UID order.</summary>
public sealed record MailboxState(uint UidValidity, uint UidNext, IReadOnlyList<MessageEntry> Messages);
