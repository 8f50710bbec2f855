using MimeKit;

namespace Keypost.Imap;

/// <summary>
/// A message's raw octets with MimeKit's tree over them and each entity's octet range, so sections (RFC 9051 §6.4.5)
/// are served exactly as stored rather than re-serialised.
/// </summary>
internal sealed class ParsedMessage
{
    private readonly Dictionary<MimeEntity, (long Begin, long End)> _offsets = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// MIME nesting deeper than this is not parsed further: the deepest part is served as an opaque leaf. The
    /// writers of BODYSTRUCTURE and ENVELOPE recurse once per level, and a stack overflow cannot be caught.
    /// </summary>
    public const int MaxMimeDepth = 64;

    public ParsedMessage(byte[] raw)
        : this(raw, parse: true)
    {
    }

    private ParsedMessage(byte[] raw, bool parse)
    {
        Raw = raw;
        try
        {
            if (!parse)
            {
                throw new FormatException("served as opaque octets");
            }

            using var stream = new MemoryStream(raw, writable: false);
            var parser = new MimeParser(CreateOptions(), stream, MimeFormat.Entity);
            var begins = new Dictionary<MimeEntity, long>(ReferenceEqualityComparer.Instance);
            parser.MimeEntityBegin += (_, e) => begins[e.Entity] = e.BeginOffset;
            parser.MimeEntityEnd += (_, e) => _offsets[e.Entity] = (begins.GetValueOrDefault(e.Entity), e.EndOffset);
            Message = parser.ParseMessage();
        }
        catch (FormatException)
        {
            // A stored message that is not RFC 5322 (APPEND accepts any octets, RFC 9051 §6.3.12) is still served:
            // its octets as they are, an envelope of NILs and a single text/plain body, so one odd message cannot
            // break every client's sync of the mailbox.
            _offsets.Clear();
            Message = new MimeMessage();
            Message.Headers.Clear();
            IsUnparsed = true;
        }
    }

    public byte[] Raw { get; }

    public MimeMessage Message { get; }

    /// <summary>The octets served as they are, without MIME structure: the fallback when serving the parsed tree failed.</summary>
    public static ParsedMessage Opaque(byte[] raw) => new(raw, parse: false);

    /// <summary>True when the octets could not be parsed as a message: <see cref="Message"/> is empty then.</summary>
    public bool IsUnparsed { get; }

    private static ParserOptions CreateOptions()
    {
        var options = ParserOptions.Default.Clone();
        options.MaxMimeDepth = MaxMimeDepth;
        return options;
    }

    /// <summary>Where the entity's MIME header starts and its content ends.</summary>
    public (long Begin, long End) RangeOf(MimeEntity entity) =>
        _offsets.TryGetValue(entity, out var range) ? range : (0, Raw.Length);

    /// <summary>The octet just after the blank line that ends the header block starting at <paramref name="begin"/>.</summary>
    public long HeaderEnd(long begin, long end)
    {
        if (IsUnparsed)
        {
            // No header could be read: every octet is body text.
            return begin;
        }

        var span = Raw.AsSpan((int)begin, (int)(end - begin));
        if (span.StartsWith("\r\n"u8))
        {
            return begin + 2;
        }

        if (span.StartsWith("\n"u8))
        {
            return begin + 1;
        }

        var crlf = span.IndexOf("\r\n\r\n"u8);
        var lf = span.IndexOf("\n\n"u8);
        if (crlf >= 0 && (lf < 0 || crlf < lf + 1))
        {
            return begin + crlf + 4;
        }

        return lf >= 0 ? begin + lf + 2 : end;
    }

    /// <summary>The content (after the MIME header) of an entity: its octets and line count.</summary>
    public (long Start, long End) ContentOf(MimeEntity entity)
    {
        var (begin, end) = RangeOf(entity);
        return (HeaderEnd(begin, end), end);
    }

    public int Lines(long start, long end)
    {
        var span = Raw.AsSpan((int)start, (int)(end - start));
        var lines = span.Count((byte)'\n');
        return span.Length > 0 && span[^1] != (byte)'\n' ? lines + 1 : lines;
    }

    /// <summary>RFC 9051 §6.4.5 part numbering: the nth part of a multipart, part 1 of a single-part body.</summary>
    public static MimeEntity? Child(MimeMessage message, int n) =>
        message.Body is Multipart multipart ? (n <= multipart.Count ? multipart[n - 1] : null) : n == 1 ? message.Body : null;

    public static MimeEntity? Child(MimeEntity entity, int n) => entity switch
    {
        Multipart multipart => n <= multipart.Count ? multipart[n - 1] : null,
        MessagePart { Message: not null } part => Child(part.Message, n),
        _ => null,
    };
}
