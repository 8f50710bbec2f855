namespace Keypost.Store;

/// <summary>What happened to one message (RFC 9051 §7: what a session reports as EXISTS, FETCH FLAGS or EXPUNGE).</summary>
public enum MailboxChangeKind
{
    Added,
    FlagsChanged,
    Expunged,
}
