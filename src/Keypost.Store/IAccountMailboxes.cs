namespace Keypost.Store;

/// <summary>One account's mailboxes by name (<see cref="MailboxNames"/>: INBOX, '.' as the hierarchy delimiter).</summary>
public interface IAccountMailboxes
{
    /// <summary>INBOX first, then every other mailbox in ordinal order.</summary>
    IReadOnlyList<string> List();

    bool Exists(string name);

    bool HasChildren(string name);

    void Create(string name);

    /// <summary>Deletes the mailbox and its messages (not its children, which Maildir++ keeps as siblings).</summary>
    void Delete(string name);

    /// <summary>Renames a mailbox and its children.</summary>
    void Rename(string from, string to);

    /// <summary>The mailbox's shared state in this process (one object per mailbox, whoever asks).</summary>
    IMailbox Get(string name);
}
