using System.Text;
using MimeKit;

namespace Keypost.Imap;

/// <summary>The octets of a BODY[section] (RFC 9051 §6.4.5), or null when the part does not exist.</summary>
internal static class SectionExtractor
{
    public static byte[]? Extract(ParsedMessage parsed, FetchItem item)
    {
        long begin = 0;
        long end = parsed.Raw.Length;
        MimeEntity? entity = null;
        foreach (var n in item.Path)
        {
            entity = entity is null ? ParsedMessage.Child(parsed.Message, n) : ParsedMessage.Child(entity, n);
            if (entity is null)
            {
                return null;
            }
        }

        if (entity is not null)
        {
            (begin, end) = parsed.RangeOf(entity);
            switch (item.Text)
            {
                case "":
                    return Slice(parsed, parsed.HeaderEnd(begin, end), end);
                case "MIME":
                    return Slice(parsed, begin, parsed.HeaderEnd(begin, end));
                default:
                    // HEADER and TEXT of a part address the message it encapsulates.
                    if (entity is not MessagePart)
                    {
                        return null;
                    }

                    begin = parsed.HeaderEnd(begin, end);
                    break;
            }
        }

        var headerEnd = parsed.HeaderEnd(begin, end);
        return item.Text switch
        {
            "" => Slice(parsed, begin, end),
            "TEXT" => Slice(parsed, headerEnd, end),
            "HEADER" => Slice(parsed, begin, headerEnd),
            "HEADER.FIELDS" => Fields(parsed, begin, headerEnd, item.Fields, include: true),
            "HEADER.FIELDS.NOT" => Fields(parsed, begin, headerEnd, item.Fields, include: false),
            _ => null,
        };
    }

    /// <summary>BINARY[part]: a leaf part's content with its Content-Transfer-Encoding undone (RFC 9051 §6.4.5).</summary>
    public static byte[]? ExtractBinary(ParsedMessage parsed, FetchItem item)
    {
        if (item.Path.Length == 0)
        {
            return parsed.Raw;
        }

        MimeEntity? entity = null;
        foreach (var n in item.Path)
        {
            entity = entity is null ? ParsedMessage.Child(parsed.Message, n) : ParsedMessage.Child(entity, n);
            if (entity is null)
            {
                return null;
            }
        }

        if (entity is MimePart { Content: { } content })
        {
            using var decoded = new MemoryStream();
            content.DecodeTo(decoded);
            return decoded.ToArray();
        }

        var (start, end) = parsed.ContentOf(entity!);
        return Slice(parsed, start, end);
    }

    private static byte[] Slice(ParsedMessage parsed, long start, long end) => parsed.Raw.AsSpan((int)start, (int)(end - start)).ToArray();

    // The matching header fields with their folded lines, then the blank line that ends a header (RFC 9051 §6.4.5).
    private static byte[] Fields(ParsedMessage parsed, long begin, long headerEnd, IReadOnlyList<string> names, bool include)
    {
        var text = Encoding.Latin1.GetString(parsed.Raw, (int)begin, (int)(headerEnd - begin));
        var result = new StringBuilder();
        var keep = false;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line == "\r")
            {
                continue;
            }

            if (line[0] is not (' ' or '\t'))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                var name = colon < 0 ? line : line[..colon].Trim();
                keep = names.Contains(name.ToUpperInvariant()) == include;
            }

            if (keep)
            {
                result.Append(line.TrimEnd('\r')).Append("\r\n");
            }
        }

        result.Append("\r\n");
        return Encoding.Latin1.GetBytes(result.ToString());
    }
}
