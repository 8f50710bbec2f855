using System.Buffers.Text;
using System.Globalization;
using System.Runtime.CompilerServices;
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
        var first = true;
        Head(line, ref n, ref first, sequence, uid, flags, byUid, withFlags, items);
        foreach (var item in items)
        {
            Item(line, ref n, ref first, item, uid, flags, entry);
        }

        Append(line, ref n, ")\r\n"u8);
        output.Write(line[..n]);
    }

    /// <summary>
    /// True when the items are the whole message (BODY[], BODY.PEEK[] or RFC822, with or without a partial range)
    /// beside any the index answers: such a FETCH needs the file's octets but no MIME tree.
    /// </summary>
    public static bool CoversWithWholeMessage(IReadOnlyList<FetchItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var whole = false;
        foreach (var item in items)
        {
            if (IsWholeMessage(item))
            {
                whole = true;
            }
            else if (item.HasSection || item.Name is not ("UID" or "FLAGS" or "INTERNALDATE" or "RFC822.SIZE"))
            {
                return false;
            }
        }

        return whole;
    }

    /// <summary>BODY[] (RFC 9051 §6.4.5: the entire message, header included), its PEEK form, or RFC822.</summary>
    public static bool IsWholeMessage(FetchItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return item.HasSection
            ? item.Name == "BODY" && item.Path.Length == 0 && item.Text.Length == 0 && item.Fields.Count == 0
            : item.Name == "RFC822";
    }

    /// <summary>
    /// Writes the start of a response whose items <see cref="CoversWithWholeMessage"/> accepts, up to the first
    /// whole-message item: "* n FETCH (" and the index items before it. <paramref name="next"/> walks the items
    /// (0 at the start); <paramref name="first"/> is true until an item is written.
    /// </summary>
    public static void WriteUntilWhole(
        MemoryStream output, uint sequence, MessageEntry entry, MessageFlags flags, bool byUid, bool withFlags, IReadOnlyList<FetchItem> items, ref int next, ref bool first)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(items);
        Span<byte> line = stackalloc byte[512];
        var n = 0;
        if (next == 0)
        {
            Head(line, ref n, ref first, sequence, entry.Uid, flags, byUid, withFlags, items);
        }

        for (; next < items.Count && !IsWholeMessage(items[next]); next++)
        {
            Item(line, ref n, ref first, items[next], entry.Uid, flags, entry);
        }

        output.Write(line[..n]);
    }

    /// <summary>The name of a whole-message item and the start of its literal (RFC 9051 §4.3): "BODY[]&lt;0&gt; {octets}\r\n".</summary>
    public static void WriteLiteralStart(MemoryStream output, FetchItem item, long octets, ref bool first)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(item);
        Span<byte> line = stackalloc byte[64];
        var n = 0;
        if (!first)
        {
            line[n++] = (byte)' ';
        }

        first = false;
        Append(line, ref n, item.Name == "RFC822" ? "RFC822"u8 : "BODY[]"u8);
        if (item.HasSection && item.PartialStart is { } start)
        {
            line[n++] = (byte)'<';
            AppendNumber(line, ref n, start);
            line[n++] = (byte)'>';
        }

        Append(line, ref n, " {"u8);
        AppendNumber(line, ref n, octets);
        Append(line, ref n, "}\r\n"u8);
        output.Write(line[..n]);
    }

    private static void Head(Span<byte> line, ref int n, ref bool first, uint sequence, uint uid, MessageFlags flags, bool byUid, bool withFlags, IReadOnlyList<FetchItem> items)
    {
        Append(line, ref n, "* "u8);
        AppendNumber(line, ref n, sequence);
        Append(line, ref n, " FETCH ("u8);
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
    }

    private static void Item(Span<byte> line, ref int n, ref bool first, FetchItem item, uint uid, MessageFlags flags, MessageEntry? entry)
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
                throw new ArgumentException("not an item the index answers: " + item.Name, nameof(item));
        }
    }

    /// <summary>True when only UID and FLAGS are asked: the state in memory answers, with no row read.</summary>
    public static bool OnlyUidAndFlags(IReadOnlyList<FetchItem> items) => items.All(i => !i.HasSection && i.Name is "UID" or "FLAGS");

    /// <summary>
    /// The items of a UID/FLAGS-only FETCH in response order, as bytes (1: UID, 2: FLAGS), decided once per command; a
    /// UID FETCH carries UID first when it was not asked (RFC 9051 §6.4.9).
    /// </summary>
    public static byte[] Shape(IReadOnlyList<FetchItem> items, bool byUid)
    {
        ArgumentNullException.ThrowIfNull(items);
        var shape = new List<byte>();
        if (byUid && !AsksFor(items, "UID"))
        {
            shape.Add(1);
        }

        shape.AddRange(items.Select(i => i.Name == "UID" ? (byte)1 : (byte)2));
        return [.. shape];
    }

    /// <summary>
    /// Formats the responses of a UID/FLAGS-only FETCH into <paramref name="output"/> from where the cursor stands
    /// (<paramref name="span"/>, <paramref name="position"/> in the session's view, <paramref name="at"/> in the
    /// store's state) until at most <paramref name="limit"/> octets are written or the set is done (then
    /// <paramref name="span"/> equals the span count); returns the octets written. Each message costs a few dozen
    /// octets of copying: no string, no allocation, the store's position found by walking (both lists are in UID
    /// order) rather than searching. Records the flags reported in the session's view.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int FormatFlags(
        Span<byte> output, int limit, ReadOnlySpan<uint> view, Span<MessageFlags> reported, ReadOnlySpan<uint> storeUids, ReadOnlySpan<MessageFlags> storeFlags,
        List<(int Start, int End)> spans, ReadOnlySpan<byte> shape, ref int span, ref int position, ref int at)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var n = 0;
        while (span < spans.Count)
        {
            var (start, end) = spans[span];
            position = Math.Max(position, start);
            for (; position < end; position++)
            {
                if (n >= limit)
                {
                    return n;
                }

                var uid = view[position];
                if ((uint)at >= (uint)storeUids.Length || storeUids[at] != uid)
                {
                    at = storeUids.BinarySearch(uid);
                    if (at < 0)
                    {
                        at = ~at;
                        continue; // Expunged by another session; reported at the next NOOP.
                    }
                }

                var flags = storeFlags[at++];
                reported[position] = flags;
                var line = output[n..];
                "* "u8.CopyTo(line);
                var k = 2;
                Utf8Formatter.TryFormat((uint)position + 1, line[k..], out var written);
                k += written;
                " FETCH ("u8.CopyTo(line[k..]);
                k += 8;
                for (var s = 0; s < shape.Length; s++)
                {
                    if (s > 0)
                    {
                        line[k++] = (byte)' ';
                    }

                    if (shape[s] == 1)
                    {
                        "UID "u8.CopyTo(line[k..]);
                        Utf8Formatter.TryFormat(uid, line[(k + 4)..], out written);
                        k += 4 + written;
                    }
                    else
                    {
                        "FLAGS "u8.CopyTo(line[k..]);
                        var list = FlagLists[(int)flags & 31];
                        list.CopyTo(line[(k + 6)..]);
                        k += 6 + list.Length;
                    }
                }

                ")\r\n"u8.CopyTo(line[k..]);
                n += k + 3;
            }

            span++;
        }

        return n;
    }

    /// <summary>The most octets one response of <see cref="FormatFlags"/> takes, for the room left past its limit.</summary>
    public static int MaxFlagsResponse(int shapeLength) => 32 + (shapeLength * 80);

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
