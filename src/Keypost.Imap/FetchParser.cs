namespace Keypost.Imap;

/// <summary>Parses FETCH attributes (RFC 9051 §6.4.5 and the fetch-att grammar of §9), macros included.</summary>
internal static class FetchParser
{
    /// <summary>Deeper section paths are refused: no real message nests so far, and each level costs work.</summary>
    public const int MaxSectionDepth = 32;

    public static List<FetchItem> Parse(ImapTokenizer t)
    {
        var items = new List<FetchItem>();
        if (t.TryTake('('))
        {
            do
            {
                items.Add(Item(t));
            }
            while (t.TrySpace());

            t.Expect(')');
            return items;
        }

        // RFC 9051 §6.4.5 and §9: fetch = ... ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"):
        // the macros stand alone and are no fetch-att, so "(ALL)" is a syntax error.
        if (t.TryKeyword("ALL"))
        {
            return [FetchItem.Simple("FLAGS"), FetchItem.Simple("INTERNALDATE"), FetchItem.Simple("RFC822.SIZE"), FetchItem.Simple("ENVELOPE")];
        }

        if (t.TryKeyword("FAST"))
        {
            return [FetchItem.Simple("FLAGS"), FetchItem.Simple("INTERNALDATE"), FetchItem.Simple("RFC822.SIZE")];
        }

        if (t.TryKeyword("FULL"))
        {
            return [FetchItem.Simple("FLAGS"), FetchItem.Simple("INTERNALDATE"), FetchItem.Simple("RFC822.SIZE"), FetchItem.Simple("ENVELOPE"), FetchItem.Simple("BODY")];
        }

        return [Item(t)];
    }

    private static FetchItem Item(ImapTokenizer t)
    {
        var name = t.Take(c => ImapTokenizer.IsAtomChar(c) && c != '[' && c != '<', "a fetch attribute").ToUpperInvariant();
        if (t.Peek != '[')
        {
            if (name is "FLAGS" or "INTERNALDATE" or "RFC822.SIZE" or "UID" or "ENVELOPE"
                or "BODYSTRUCTURE" or "BODY" or "RFC822" or "RFC822.HEADER" or "RFC822.TEXT")
            {
                return FetchItem.Simple(name);
            }

            throw new ImapParseException("unknown fetch attribute " + name);
        }

        if (name is "BINARY" or "BINARY.PEEK" or "BINARY.SIZE")
        {
            return Binary(t, name);
        }

        if (name is not ("BODY" or "BODY.PEEK"))
        {
            throw new ImapParseException("unknown fetch attribute " + name);
        }

        t.Expect('[');
        var path = Path(t);
        var text = "";
        var fields = new List<string>();

        if (t.Peek != ']')
        {
            text = t.Take(c => char.IsAsciiLetter(c) || c == '.', "a section text").ToUpperInvariant();
            if (text is not ("HEADER" or "HEADER.FIELDS" or "HEADER.FIELDS.NOT" or "TEXT" or "MIME") || (text == "MIME" && path.Count == 0))
            {
                throw new ImapParseException("unknown section " + text);
            }

            if (text.StartsWith("HEADER.FIELDS", StringComparison.Ordinal))
            {
                t.Space();
                t.Expect('(');
                do
                {
                    fields.Add(t.AString().ToUpperInvariant());
                }
                while (t.TrySpace());

                t.Expect(')');
            }
        }

        t.Expect(']');
        var (start, count) = Partial(t);
        return new FetchItem("BODY", true, [.. path], text, fields, name == "BODY.PEEK", start, count);
    }

    // RFC 9051 §6.4.5 (from RFC 3516): BINARY[part]<partial>, BINARY.PEEK, BINARY.SIZE[part]; parts only, no text.
    private static FetchItem Binary(ImapTokenizer t, string name)
    {
        t.Expect('[');
        var path = Path(t);
        t.Expect(']');
        var (start, count) = name == "BINARY.SIZE" ? (null, null) : Partial(t);
        return new FetchItem(name == "BINARY.SIZE" ? name : "BINARY", true, [.. path], "", [], name != "BINARY", start, count);
    }

    private static List<int> Path(ImapTokenizer t)
    {
        var path = new List<int>();
        while (char.IsAsciiDigit(t.Peek))
        {
            var n = t.Number();
            if (n == 0 || path.Count >= MaxSectionDepth)
            {
                throw new ImapParseException("section part number invalid or nested too deep");
            }

            path.Add((int)n);
            if (!t.TryTake('.'))
            {
                break;
            }
        }

        return path;
    }

    private static (long? Start, long? Count) Partial(ImapTokenizer t)
    {
        if (!t.TryTake('<'))
        {
            return (null, null);
        }

        long start = t.Number();
        t.Expect('.');
        long count = t.Number();
        if (count == 0)
        {
            throw new ImapParseException("partial count must be positive");
        }

        t.Expect('>');
        return (start, count);
    }
}
