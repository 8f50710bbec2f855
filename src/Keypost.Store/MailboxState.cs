namespace Keypost.Store;

/// <summary>A consistent view of a mailbox: its UIDVALIDITY, next UID and messages in UID order.</summary>
public sealed record MailboxState(uint UidValidity, uint UidNext, IReadOnlyList<MessageEntry> Messages)
{
    /// <summary>The message with this UID, or null (binary search: the messages are in UID order).</summary>
    public MessageEntry? Find(uint uid)
    {
        var index = IndexOf(Messages, uid);
        return index >= 0 ? Messages[index] : null;
    }

    /// <summary>The position of <paramref name="uid"/> in a UID-ordered list, or the bitwise complement of where it would go.</summary>
    public static int IndexOf(IReadOnlyList<MessageEntry> messages, uint uid)
    {
        ArgumentNullException.ThrowIfNull(messages);
        int low = 0, high = messages.Count - 1;
        while (low <= high)
        {
            var mid = low + ((high - low) >> 1);
            var at = messages[mid].Uid;
            if (at == uid)
            {
                return mid;
            }

            if (at < uid)
            {
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return ~low;
    }
}
