using MimeKit;

namespace Keypost.Imap;

/// <summary>BODY and BODYSTRUCTURE (RFC 9051 §7.5.2) from MimeKit's tree and the stored octet ranges.</summary>
internal static class BodyStructureWriter
{
    public static void Write(ImapWriter w, ParsedMessage parsed, MimeEntity? entity, bool extensions)
    {
        if (entity is null)
        {
            // An empty message still has a body: RFC 2045's default text/plain. So has one that could not be
            // parsed: all of its octets, as stored.
            var size = parsed.IsUnparsed ? parsed.Raw.Length : 0;
            var lines = parsed.IsUnparsed ? parsed.Lines(0, parsed.Raw.Length) : 0;
            w.Raw("(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" ").Number(size).Raw(" ").Number(lines).Raw(")");
            return;
        }

        if (entity is Multipart multipart)
        {
            w.Raw("(");
            foreach (var child in multipart)
            {
                Write(w, parsed, child, extensions);
            }

            if (multipart.Count == 0)
            {
                // RFC 9051 §9: body-type-mpart = 1*body; a multipart without parts is shown with one empty
                // text/plain part (as Dovecot does), since a bare subtype is a syntax error to every client.
                w.Raw("(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)");
            }

            w.Raw(" ").NString(multipart.ContentType.MediaSubtype.ToUpperInvariant());
            if (extensions)
            {
                w.Raw(" ");
                Parameters(w, multipart.ContentType);
                w.Raw(" ");
                Disposition(w, multipart);
                w.Raw(" NIL NIL");
            }

            w.Raw(")");
            return;
        }

        var type = entity.ContentType;
        var (start, end) = parsed.ContentOf(entity);
        w.Raw("(").NString(type.MediaType.ToUpperInvariant()).Raw(" ").NString(type.MediaSubtype.ToUpperInvariant()).Raw(" ");
        Parameters(w, type);
        var id = entity.ContentId is { Length: > 0 } cid ? "<" + cid + ">" : null;
        var encoding = entity.Headers[HeaderId.ContentTransferEncoding];
        w.Raw(" ").NString(id).Raw(" ").NString(entity.Headers[HeaderId.ContentDescription])
            .Raw(" ").NString(string.IsNullOrWhiteSpace(encoding) ? "7BIT" : encoding.Trim().ToUpperInvariant())
            .Raw(" ").Number(end - start);
        if (entity is MessagePart { Message: { } inner })
        {
            w.Raw(" ");
            EnvelopeWriter.Write(w, inner);
            w.Raw(" ");
            Write(w, parsed, inner.Body, extensions);
            w.Raw(" ").Number(parsed.Lines(start, end));
        }
        else if (type.IsMimeType("text", "*"))
        {
            w.Raw(" ").Number(parsed.Lines(start, end));
        }

        if (extensions)
        {
            w.Raw(" ").NString(entity.Headers[HeaderId.ContentMd5]).Raw(" ");
            Disposition(w, entity);
            w.Raw(" NIL ").NString(entity.Headers[HeaderId.ContentLocation]);
        }

        w.Raw(")");
    }

    private static void Parameters(ImapWriter w, ContentType type)
    {
        if (type.Parameters.Count == 0)
        {
            w.Raw("NIL");
            return;
        }

        w.Raw("(");
        var first = true;
        foreach (var parameter in type.Parameters)
        {
            w.Raw(first ? "" : " ").NString(parameter.Name.ToUpperInvariant()).Raw(" ").NString(parameter.Value);
            first = false;
        }

        w.Raw(")");
    }

    private static void Disposition(ImapWriter w, MimeEntity entity)
    {
        if (entity.ContentDisposition is not { } disposition)
        {
            w.Raw("NIL");
            return;
        }

        w.Raw("(").NString(disposition.Disposition.ToUpperInvariant()).Raw(" ");
        if (disposition.Parameters.Count == 0)
        {
            w.Raw("NIL");
        }
        else
        {
            w.Raw("(");
            var first = true;
            foreach (var parameter in disposition.Parameters)
            {
                w.Raw(first ? "" : " ").NString(parameter.Name.ToUpperInvariant()).Raw(" ").NString(parameter.Value);
                first = false;
            }

            w.Raw(")");
        }

        w.Raw(")");
    }
}
