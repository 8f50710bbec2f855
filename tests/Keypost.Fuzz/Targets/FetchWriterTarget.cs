using System.Text;
using Keypost.Imap;
using Keypost.Store;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// The FETCH response writer and the SEARCH keys that read content, over the input as a stored message: every
/// data item and section a client can ask for. The session serves a message whose tree cannot be written as
/// opaque octets, so an exception here does not end a session, but it is still a bug in the writer.
/// </summary>
internal static class FetchWriterTarget
{
    private const string Items =
        "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY RFC822.HEADER RFC822.TEXT BODY.PEEK[] "
        + "BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2] BODY.PEEK[2.1] BODY.PEEK[2.MIME] "
        + "BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[3.1.2] BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)] "
        + "BODY.PEEK[HEADER.FIELDS.NOT (TO)] BODY.PEEK[2.HEADER.FIELDS (SUBJECT)] BINARY.PEEK[1] BINARY.SIZE[1] "
        + "BINARY.PEEK[2.1] BINARY.PEEK[] BINARY.SIZE[3] BODY.PEEK[]<0.10> BODY.PEEK[1]<5.1000>)";

    private static readonly string[] Searches =
    [
        "OR FROM leia SUBJECT plans", "HEADER X-Anything z", "HEADER Subject \"\"", "BODY r2", "TEXT luke",
        "SENTON 1-Jan-2026", "SENTBEFORE 1-Jan-2030", "SENTSINCE 1-Jan-1970", "TO luke CC han BCC x",
    ];

    public static void Run(byte[] input)
    {
        var parsed = new ParsedMessage(input);
        var entry = new MessageEntry(7, "1.x", "cur/1.x:2,S", MessageFlags.Seen, "", input.Length, DateTimeOffset.UnixEpoch);
        using var output = new MemoryStream();
        var writer = new ImapWriter(output);
        FetchResponseWriter.Write(writer, 1, entry, parsed, byUid: true, withFlags: true, FetchParser.Parse(Tokens(Items)));
        FetchResponseWriter.Write(writer, 1, entry, ParsedMessage.Opaque(input), byUid: false, withFlags: false, FetchParser.Parse(Tokens(Items)));
        foreach (var search in Searches)
        {
            var predicate = SearchParser.Parse(Tokens(search), []);
            var rows = new ChunkedRows(new MailboxState(1, 8, [entry]), [7u]);
            predicate(new SearchCandidate(
                7, entry.Flags, rows, 0, 1, 1, 7, null, new Dictionary<(string, string), IReadOnlySet<uint>>(), CancellationToken.None,
                () => new MemoryStream(input, writable: false)));
        }
    }

    private static ImapTokenizer Tokens(string text) => new([text]);
}
