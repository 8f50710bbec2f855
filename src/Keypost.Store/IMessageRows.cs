namespace Keypost.Store;

/// <summary>
/// Where a compact <see cref="MailboxState"/> looks up the rest of a message's row (file, size, INTERNALDATE): the
/// mailbox's index, read when asked. The flags come from the view, so an entry agrees with the view it came from.
/// </summary>
internal interface IMessageRows
{
    /// <summary>The row of <paramref name="uid"/> with <paramref name="flags"/>, or null when it was expunged since.</summary>
    MessageEntry? Find(uint uid, MessageFlags flags);

    /// <summary>The rows of the given (UID, flags) pairs, ascending, that are still there, in order.</summary>
    IReadOnlyList<MessageEntry> FindMany(IReadOnlyList<(uint Uid, MessageFlags Flags)> wanted);

    /// <summary>Every row of the given UIDs (ascending) still there, with the given flags.</summary>
    IReadOnlyList<MessageEntry> All(uint[] uids, MessageFlags[] flags);
}
