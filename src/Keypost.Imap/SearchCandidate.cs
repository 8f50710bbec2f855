using MimeKit;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>A message as SEARCH sees it; the file is parsed only when a key needs its content.</summary>
internal sealed class SearchCandidate(MessageEntry entry, uint sequence, uint count, uint largestUid, Func<ParsedMessage?> load)
{
    private ParsedMessage? _parsed;
    private bool _loaded;

    public MessageEntry Entry => entry;

    public uint Sequence => sequence;

    public uint Count => count;

    public uint LargestUid => largestUid;

    public ParsedMessage? Parsed
    {
        get
        {
            if (!_loaded)
            {
                _parsed = load();
                _loaded = true;
            }

            return _parsed;
        }
    }

    public MimeMessage? Message => Parsed?.Message;
}
