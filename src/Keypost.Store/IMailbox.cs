namespace Keypost.Store;

/// <summary>
/// One mailbox: its UID index (RFC 9051 §2.3.1.1: UIDs strictly ascending under one UIDVALIDITY), messages and
/// flags. Every change goes through here and raises <see cref="Version"/>, which is what IDLE waits on.
/// </summary>
public interface IMailbox
{
    /// <summary>Grows with every change seen (ours, a delivery's, or another program's); compare with an earlier read.</summary>
    long Version { get; }

    Task<MailboxState> SnapshotAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The state now and the changes made after <paramref name="since"/> (a <see cref="MailboxUpdate.Version"/> read
    /// earlier), so a session reports what changed at the cost of the changes, not of the mailbox.
    /// </summary>
    Task<MailboxUpdate> UpdatesSinceAsync(long since, CancellationToken cancellationToken);

    /// <summary>
    /// The UIDs of messages with a header <paramref name="field"/> whose value contains <paramref name="value"/>
    /// (case-insensitive; an empty value matches every message that has the field), answered from the index; null
    /// when the index does not keep that field and the caller must read the messages.
    /// </summary>
    Task<IReadOnlySet<uint>?> SearchHeaderAsync(string field, string value, CancellationToken cancellationToken);

    /// <summary>Changes the flags of the given UIDs; returns the state afterwards.</summary>
    Task<MailboxState> ChangeFlagsAsync(IReadOnlySet<uint> uids, Func<MessageFlags, MessageFlags> change, CancellationToken cancellationToken);

    /// <summary>Deletes the messages <paramref name="which"/> selects, seeing each message's row whole; returns their UIDs.</summary>
    Task<IReadOnlyList<uint>> ExpungeAsync(Func<MessageEntry, bool> which, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the messages <paramref name="which"/> selects by UID and flags alone; returns their UIDs. What IMAP
    /// EXPUNGE needs: a store that keeps UIDs and flags compactly reads no other row but those it deletes.
    /// </summary>
    Task<IReadOnlyList<uint>> ExpungeAsync(Func<uint, MessageFlags, bool> which, CancellationToken cancellationToken);

    /// <summary>Stores a new message durably with its flags and INTERNALDATE; returns UIDVALIDITY and its UID.</summary>
    Task<(uint UidValidity, uint Uid)> AppendAsync(Stream message, MessageFlags flags, DateTimeOffset internalDate, CancellationToken cancellationToken);

    /// <summary>
    /// Copies the given UIDs (those still present) into <paramref name="target"/>, keeping flags and INTERNALDATE;
    /// with <paramref name="move"/> they are expunged here afterwards (RFC 6851). Returns the target's UIDVALIDITY and
    /// the source and target UIDs in the same order (RFC 4315 COPYUID).
    /// </summary>
    Task<CopyResult> CopyAsync(IReadOnlyList<uint> uids, IMailbox target, bool move, CancellationToken cancellationToken);

    /// <summary>Opens a message for reading, or null when it is gone (expunged meanwhile).</summary>
    Stream? OpenMessage(MessageEntry entry);

    /// <summary>Completes once <see cref="Version"/> differs from <paramref name="seen"/>.</summary>
    Task WaitForChangeAsync(long seen, CancellationToken cancellationToken);
}
