using Keypost.Store;
namespace Keypost.Imap;

/// <summary>
/// A session's view of its selected mailbox: the UIDs in sequence-number order and the flags last reported, so the
/// session can tell the client what changed since (RFC 9051 §7: EXISTS, EXPUNGE, FETCH FLAGS).
/// </summary>
internal sealed class SelectedMailbox(string name, IMailbox mailbox, bool readOnly)
{
    public string Name => name;

    public IMailbox Mailbox => mailbox;

    public bool ReadOnly => readOnly;

    public List<uint> Uids { get; } = [];

    /// <summary>The mailbox's change counter as read before the last report: what IDLE waits to see move.</summary>
    public long SeenVersion { get; set; }

    public Dictionary<uint, MessageFlags> Flags { get; } = [];

    /// <summary>UIDs expunged in the store but not yet reported: EXPUNGE waits while FETCH, STORE or SEARCH run (RFC 9051 §7.5.1).</summary>
    public HashSet<uint> PendingExpunges { get; } = [];

    public uint LargestUid => Uids.Count == 0 ? 0 : Uids[^1];

    public uint Count => (uint)Uids.Count;

    /// <summary>The (sequence number, UID) pairs a sequence set or UID set names.</summary>
    public IEnumerable<(uint Sequence, uint Uid)> Resolve(SequenceSet set, bool byUid)
    {
        for (var i = 0; i < Uids.Count; i++)
        {
            var sequence = (uint)i + 1;
            if (byUid ? set.Contains(Uids[i], LargestUid) : set.Contains(sequence, Count))
            {
                yield return (sequence, Uids[i]);
            }
        }
    }
}
