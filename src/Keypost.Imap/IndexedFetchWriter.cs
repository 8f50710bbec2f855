using System.Globalization;
using System.Text;
using Keypost.Store;

namespace Keypost.Imap;

/// <summary>
/// FETCH responses (RFC 9051 §7.5.2) for the items the store's index answers alone: UID, FLAGS, INTERNALDATE and
/// RFC822.SIZE. A client syncing a 100k mailbox asks <c>UID FETCH 1:* (FLAGS)</c>: each response is formatted
/// straight into the output buffer, with no message file opened and no string built per message.
/// </summary>
internal static class IndexedFetchWriter
{
    // Every combination of the five system flags, formatted once.
    private static readonly byte[][] FlagLists = Enumerable.Range(0, 32)
        .Select(f => Encoding.ASCII.GetBytes(ImapFlags.ToImap((MessageFlags)f)))
        .ToArray();

    /// <summary>True when every requested item comes from the index (no section, no envelope or structure).</summary>
    public static bool Covers(IReadOnlyList<FetchItem> items) =>
        items.All(i => !i.HasSection && i.Name is "UID" or "FLAGS" or "INTERNALDATE" or "RFC822.SIZE");

    /// <summary>
    /// Writes one response, items in the order asked; a UID FETCH always carries UID (RFC 9051 §6.4.9).
    /// <paramref name="entry"/> (the message's row) is needed only for INTERNALDATE and RFC822.SIZE.
    /// </summary>
    public static void Write(MemoryStream output, uint sequence, uint uid, MessageFlags flags, MessageEntry? entry, bool byUid, bool withFlags, IReadOnlyList<FetchItem> items)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(items);
        // "* 4294967295 FETCH (" + four items of at most ~60 octets each: 512 is ample.
        Span<byte> line = stackalloc byte[512];
        var n = 0;
        Append(line, ref n, "* "u8);
        AppendNumber(line, ref n, sequence);
        Append(line, ref n, " FETCH ("u8);
        var first = true;
        if (byUid && !AsksFor(items, "UID"))
        {
            Name(line, ref n, ref first, "UID "u8);
            AppendNumber(line, ref n, uid);
        }

        if (withFlags)
        {
            Name(line, ref n, ref first, "FLAGS "u8);
            Append(line, ref n, FlagLists[(int)flags & 31]);
        }

        foreach (var item in items)
        {
            switch (item.Name)
            {
                case "UID":
                    Name(line, ref n, ref first, "UID "u8);
                    AppendNumber(line, ref n, uid);
                    break;
                case "FLAGS":
                    Name(line, ref n, ref first, "FLAGS "u8);
                    Append(line, ref n, FlagLists[(int)flags & 31]);
                    break;
                case "INTERNALDATE":
                    // RFC 9051 §9 date-time, in UTC as the store keeps it.
                    Name(line, ref n, ref first, "INTERNALDATE \""u8);
                    if (entry is null || !entry.InternalDate.TryFormat(line[n..], out var written, "dd-MMM-yyyy HH:mm:ss ", CultureInfo.InvariantCulture))
                    {
                        throw new InvalidOperationException("INTERNALDATE does not fit the response buffer");
                    }

                    n += written;
                    Append(line, ref n, "+0000\""u8);
                    break;
                case "RFC822.SIZE":
                    Name(line, ref n, ref first, "RFC822.SIZE "u8);
                    AppendNumber(line, ref n, entry?.Size ?? throw new ArgumentNullException(nameof(entry)));
                    break;
                default:
                    throw new ArgumentException("not an item the index answers: " + item.Name, nameof(items));
            }
        }

        Append(line, ref n, ")\r\n"u8);
        output.Write(line[..n]);
    }

    private static bool AsksFor(IReadOnlyList<FetchItem> items, string name)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].Name == name)
            {
                return true;
            }
        }

        return false;
    }

    private static void Name(Span<byte> line, ref int n, ref bool first, ReadOnlySpan<byte> name)
    {
        if (!first)
        {
            line[n++] = (byte)' ';
        }

        first = false;
        Append(line, ref n, name);
    }

    private static void Append(Span<byte> line, ref int n, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(line[n..]);
        n += bytes.Length;
    }

    private static void AppendNumber(Span<byte> line, ref int n, long value)
    {
        value.TryFormat(line[n..], out var written, default, CultureInfo.InvariantCulture);
        n += written;
    }
}
