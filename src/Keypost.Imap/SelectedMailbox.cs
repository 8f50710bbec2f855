using System.Runtime.InteropServices;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>
/// A session's view of its selected mailbox: the UIDs in sequence-number order and the flags last reported, so the
/// session can tell the client what changed since (RFC 9051 §7: EXISTS, EXPUNGE, FETCH FLAGS). Kept as two parallel
/// lists (8 bytes a message), copied from the store's compact state at SELECT.
/// </summary>
internal sealed class SelectedMailbox(string name, IMailbox mailbox, bool readOnly)
{
    private readonly List<uint> _uids = [];
    private readonly List<MessageFlags> _flags = [];

    public string Name => name;

    public IMailbox Mailbox => mailbox;

    public bool ReadOnly => readOnly;

    /// <summary>The UIDs in sequence-number order.</summary>
    public IReadOnlyList<uint> Uids => _uids;

    /// <summary>The mailbox's change counter as read before the last report: what IDLE waits to see move.</summary>
    public long SeenVersion { get; set; }

    /// <summary>UIDs expunged in the store but not yet reported: EXPUNGE waits while FETCH, STORE or SEARCH run (RFC 9051 §7.5.1).</summary>
    public HashSet<uint> PendingExpunges { get; } = [];

    public uint LargestUid => _uids.Count == 0 ? 0 : _uids[^1];

    public uint Count => (uint)_uids.Count;

    /// <summary>Takes every message of <paramref name="state"/> as the view (two copies of contiguous memory).</summary>
    public void Load(MailboxState state)
    {
        _uids.Clear();
        _flags.Clear();
        _uids.AddRange(state.Uids);
        _flags.AddRange(state.AllFlags);
    }

    /// <summary>The position of <paramref name="uid"/> (sequence number - 1), or a negative number.</summary>
    public int IndexOf(uint uid) => CollectionsMarshal.AsSpan(_uids).BinarySearch(uid);

    public bool Contains(uint uid) => IndexOf(uid) >= 0;

    public bool TryGetFlags(uint uid, out MessageFlags flags)
    {
        var i = IndexOf(uid);
        flags = i >= 0 ? _flags[i] : MessageFlags.None;
        return i >= 0;
    }

    public MessageFlags FlagsAt(int index) => _flags[index];

    /// <summary>Records the flags last reported for a message in the view (ignored when it is not).</summary>
    public void SetFlags(uint uid, MessageFlags flags)
    {
        var i = IndexOf(uid);
        if (i >= 0)
        {
            _flags[i] = flags;
        }
    }

    /// <summary>Records the flags last reported for the message at <paramref name="index"/> (its sequence number - 1).</summary>
    public void SetFlagsAt(int index, MessageFlags flags) => _flags[index] = flags;

    /// <summary>Adds a message past the largest UID.</summary>
    public void Add(uint uid, MessageFlags flags)
    {
        _uids.Add(uid);
        _flags.Add(flags);
    }

    public void RemoveAt(int index)
    {
        _uids.RemoveAt(index);
        _flags.RemoveAt(index);
    }

    /// <summary>The UIDs in sequence-number order, as a span (no copy; valid until the view changes).</summary>
    public ReadOnlySpan<uint> UidSpan => CollectionsMarshal.AsSpan(_uids);

    /// <summary>The flags last reported, position for position with <see cref="UidSpan"/>, writable in place.</summary>
    public Span<MessageFlags> FlagSpan => CollectionsMarshal.AsSpan(_flags);

    /// <summary>The (sequence number, UID) pairs a sequence set or UID set names, in order; each range costs a binary search and what it names, not the mailbox.</summary>
    public IEnumerable<(uint Sequence, uint Uid)> Resolve(SequenceSet set, bool byUid)
    {
        var next = 0;
        foreach (var (start, end) in Spans(set, byUid))
        {
            for (var i = Math.Max(start, next); i < end; i++)
            {
                yield return ((uint)i + 1, _uids[i]);
            }

            next = Math.Max(next, end);
        }
    }

    /// <summary>
    /// The positions a sequence set or UID set names, as ascending ranges [Start, End) of sequence number - 1 that
    /// may overlap (a reader skips what it has passed).
    /// </summary>
    public List<(int Start, int End)> Spans(SequenceSet set, bool byUid)
    {
        ArgumentNullException.ThrowIfNull(set);
        var spans = new List<(int Start, int End)>();
        foreach (var (low, high) in set.Ranges(byUid ? LargestUid : Count))
        {
            int start, end;
            if (byUid)
            {
                start = LowerBound(low);
                end = high == uint.MaxValue ? _uids.Count : LowerBound(high + 1);
            }
            else
            {
                start = (int)Math.Min(low - 1, (uint)_uids.Count);
                end = (int)Math.Min(high, (uint)_uids.Count);
            }

            if (start < end)
            {
                spans.Add((start, end));
            }
        }

        spans.Sort();
        return spans;
    }

    private int LowerBound(uint uid)
    {
        var i = IndexOf(uid);
        return i >= 0 ? i : ~i;
    }
}
