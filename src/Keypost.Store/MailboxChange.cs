namespace Keypost.Store;

/// <summary>One change to a mailbox, stamped with the <see cref="IMailbox.Version"/> it was made under.</summary>
/// <param name="Entry">The message as it is after the change (as it was, for <see cref="MailboxChangeKind.Expunged"/>).</param>
public sealed record MailboxChange(long Version, MailboxChangeKind Kind, MessageEntry Entry);
