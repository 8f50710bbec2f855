namespace Keypost.Store;

/// <summary>
/// A consistent view of a mailbox: its UIDVALIDITY, next UID and messages in UID order. The UIDs and flags are held
/// compactly (<see cref="UidAt"/>, <see cref="FlagsAt"/>), which is all a session needs to select a mailbox, map
/// sequence numbers and report flags; the rest of a message's row (file, size, INTERNALDATE) is looked up when asked
/// for (<see cref="Find"/>, <see cref="Messages"/>), so a view of 100k messages costs 5 bytes a message, not an
/// object each.
/// </summary>
public sealed class MailboxState
{
    private readonly uint[] _uids;
    private readonly MessageFlags[] _flags;
    private readonly IMessageRows? _rows;
    private IReadOnlyList<MessageEntry>? _messages;

    /// <summary>A view of messages already at hand (in UID order).</summary>
    public MailboxState(uint uidValidity, uint uidNext, IReadOnlyList<MessageEntry> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        UidValidity = uidValidity;
        UidNext = uidNext;
        _messages = messages;
        _uids = new uint[messages.Count];
        _flags = new MessageFlags[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            _uids[i] = messages[i].Uid;
            _flags[i] = messages[i].Flags;
        }

        Count = messages.Count;
    }

    /// <summary>A compact view: the first <paramref name="count"/> UIDs and flags (not copied: the caller gives them up), rows looked up in <paramref name="rows"/>.</summary>
    internal MailboxState(uint uidValidity, uint uidNext, uint[] uids, MessageFlags[] flags, int count, IMessageRows rows)
    {
        UidValidity = uidValidity;
        UidNext = uidNext;
        _uids = uids;
        _flags = flags;
        _rows = rows;
        Count = count;
    }

    public uint UidValidity { get; }

    public uint UidNext { get; }

    /// <summary>How many messages the view holds.</summary>
    public int Count { get; }

    /// <summary>Every message, in UID order; for a compact view this reads every row (one query), so large mailboxes use <see cref="UidAt"/>, <see cref="FlagsAt"/> and <see cref="Find"/>.</summary>
    /// <remarks>A message expunged after the view was taken has no row left and is left out.</remarks>
    public IReadOnlyList<MessageEntry> Messages => _messages ??= _rows!.All(_uids.AsSpan(0, Count).ToArray(), _flags.AsSpan(0, Count).ToArray());

    public uint UidAt(int index) => index >= 0 && index < Count ? _uids[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public MessageFlags FlagsAt(int index) => index >= 0 && index < Count ? _flags[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The UIDs in order (no copy).</summary>
    public ReadOnlySpan<uint> Uids => _uids.AsSpan(0, Count);

    /// <summary>The flags, position for position with <see cref="Uids"/> (no copy).</summary>
    public ReadOnlySpan<MessageFlags> AllFlags => _flags.AsSpan(0, Count);

    /// <summary>The position of <paramref name="uid"/>, or the bitwise complement of where it would go.</summary>
    public int IndexOf(uint uid) => Uids.BinarySearch(uid);

    /// <summary>The message with this UID (with its flags as of this view), or null when the view does not hold it or it was expunged since.</summary>
    public MessageEntry? Find(uint uid)
    {
        var i = IndexOf(uid);
        if (i < 0)
        {
            return null;
        }

        return _rows is null ? _messages![i] : _rows.Find(uid, _flags[i]);
    }

    /// <summary>The messages of <paramref name="uids"/> this view holds and that are still there, in UID order; one query for a compact view when they are dense.</summary>
    public IReadOnlyList<MessageEntry> FindMany(IReadOnlyList<uint> uids)
    {
        ArgumentNullException.ThrowIfNull(uids);
        var wanted = new List<(uint, MessageFlags)>(uids.Count);
        foreach (var uid in uids)
        {
            var i = IndexOf(uid);
            if (i >= 0)
            {
                wanted.Add((uid, _flags[i]));
            }
        }

        wanted = wanted.Distinct().Order().ToList();

        if (_rows is null)
        {
            return wanted.Select(w => _messages![IndexOf(w.Item1)]).ToList();
        }

        return _rows.FindMany(wanted);
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
