namespace Keypost.Store;

/// <summary>The IMAP system flags kept in a Maildir file name's info suffix.</summary>
[Flags]
public enum MessageFlags
{
    None = 0,
    Seen = 1,
    Answered = 2,
    Flagged = 4,
    Deleted = 8,
    Draft = 16,
}
