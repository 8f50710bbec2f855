using Keypost.Store;

namespace Keypost.Imap;

/// <summary>
/// The store rows of a run of messages walked in order (FETCH targets, SEARCH candidates), read a chunk at a time when
/// first needed: one index query per 512 messages instead of one per message, and never the whole mailbox in memory.
/// </summary>
internal sealed class ChunkedRows(MailboxState state, IReadOnlyList<uint> uids)
{
    private const int ChunkSize = 512;

    private int _chunk = -1;
    private Dictionary<uint, MessageEntry>? _rows;

    /// <summary>The row of the message at <paramref name="position"/> in the walked UIDs, or null when it is gone.</summary>
    public MessageEntry? Get(int position)
    {
        var chunk = position / ChunkSize;
        if (chunk != _chunk || _rows is null)
        {
            var start = chunk * ChunkSize;
            var wanted = new List<uint>(ChunkSize);
            for (var i = start; i < Math.Min(start + ChunkSize, uids.Count); i++)
            {
                wanted.Add(uids[i]);
            }

            _rows = state.FindMany(wanted).ToDictionary(e => e.Uid);
            _chunk = chunk;
        }

        return _rows.GetValueOrDefault(uids[position]);
    }
}
