using System.Buffers;
using System.Text;
using MimeKit;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>
/// A message as SEARCH sees it. Header keys the store indexes are answered from <paramref name="indexed"/>; the file is
/// streamed for text keys and parsed only when a key needs its structure or the stream could not rule a match out.
/// UID and flags come from the session's compact view; the row (size, INTERNALDATE, file) only when a key asks.
/// </summary>
internal sealed class SearchCandidate(
    uint uid, MessageFlags flags, ChunkedRows rows, int position, uint sequence, uint count, uint largestUid, IMailbox? mailbox,
    IReadOnlyDictionary<(string Field, string Value), IReadOnlySet<uint>> indexed, CancellationToken cancellationToken, Func<Stream?>? open = null)
{
    private const int ChunkSize = 64 * 1024;

    private ParsedMessage? _parsed;
    private bool _loaded;
    private MessageEntry? _entry;
    private bool _rowRead;

    public uint Uid => uid;

    public MessageFlags Flags => flags;

    /// <summary>The message's row, or null when it was expunged meanwhile (it then matches no key that needs it).</summary>
    public MessageEntry? Entry
    {
        get
        {
            if (!_rowRead)
            {
                _entry = rows.Get(position);
                _rowRead = true;
            }

            return _entry;
        }
    }

    // The store opens the file; a caller holding the octets already (the fuzz target) passes them instead.
    private Stream? Open() => open is not null ? open() : Entry is { } entry ? mailbox?.OpenMessage(entry) : null;

    public uint Sequence => sequence;

    public uint Count => count;

    public uint LargestUid => largestUid;

    public ParsedMessage? Parsed
    {
        get
        {
            if (!_loaded)
            {
                using var stream = Open();
                if (stream is not null)
                {
                    using var buffer = new MemoryStream(Entry!.Size is > 0 and < int.MaxValue ? (int)Entry.Size : 4096);
                    stream.CopyTo(buffer);
                    _parsed = new ParsedMessage(buffer.ToArray());
                }

                _loaded = true;
            }

            return _parsed;
        }
    }

    public MimeMessage? Message => Parsed?.Message;

    /// <summary>The index's answer for a header key (<paramref name="upperField"/> upper-cased), or null when the store did not index that field.</summary>
    public bool? IndexedHeader(string upperField, string value) =>
        indexed.TryGetValue((upperField, value), out var uids) ? uids.Contains(uid) : null;

    /// <summary>
    /// False only when the message cannot contain <paramref name="needle"/> as SEARCH compares text (a case-insensitive
    /// substring of the octets read as UTF-8): the file is streamed in chunks, all ASCII, and the ASCII needle never
    /// occurs. Anything else (non-ASCII octets, where case folding could differ) leaves the decision to the parsed message.
    /// </summary>
    public bool MayContain(string needle)
    {
        if (needle.Length == 0 || !Ascii.IsValid(needle) || _loaded)
        {
            return true;
        }

        var upper = Encoding.ASCII.GetBytes(needle.ToUpperInvariant());
        using var stream = Open();
        if (stream is null)
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize + upper.Length);
        try
        {
            // The last needle-length-minus-one octets stay at the front, so a match across two chunks is found.
            var kept = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = stream.Read(buffer, kept, ChunkSize);
                if (read == 0)
                {
                    return false;
                }

                var chunk = buffer.AsSpan(kept, read);
                if (!Ascii.IsValid(chunk))
                {
                    return true;
                }

                Ascii.ToUpperInPlace(chunk, out _);
                var window = buffer.AsSpan(0, kept + read);
                if (window.IndexOf(upper) >= 0)
                {
                    return true;
                }

                kept = Math.Min(upper.Length - 1, window.Length);
                window[^kept..].CopyTo(buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
