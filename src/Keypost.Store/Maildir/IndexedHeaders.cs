using System.Text;
using MimeKit;

namespace Keypost.Store.Maildir;

/// <summary>
/// The header fields SEARCH asks for most (RFC 9051 §6.4.4: FROM, TO, CC, BCC, SUBJECT, and HEADER Message-ID for
/// threading clients), kept in the index so such a SEARCH reads no message file. Each value is the decoded text and
/// the raw text of every occurrence of the field, upper-cased invariantly, so a case-insensitive substring test is a
/// plain substring test in SQL.
/// </summary>
internal sealed record IndexedHeaders(string? Subject, string? From, string? To, string? Cc, string? Bcc, string? MessageId)
{
    /// <summary>The index column for a header field name, or null when the field is not indexed.</summary>
    public static string? Column(string field) => field.ToUpperInvariant() switch
    {
        "SUBJECT" => "subject",
        "FROM" => "from_field",
        "TO" => "to_field",
        "CC" => "cc_field",
        "BCC" => "bcc_field",
        "MESSAGE-ID" => "message_id",
        _ => null,
    };

    /// <summary>What a search value is compared with in the index.</summary>
    public static string Fold(string value) => value.ToUpperInvariant();

    /// <summary>Reads the header block only (the body is never read); null when the file is gone.</summary>
    public static IndexedHeaders? Read(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096);
            return Read(file);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Reads the header block at the start of <paramref name="message"/> (the body is not read).</summary>
    public static IndexedHeaders Read(Stream message)
    {
        HeaderList headers;
        try
        {
            headers = HeaderList.Load(message);
        }
        catch (FormatException)
        {
            // No header block MimeKit can read: nothing to index; header SEARCH then matches nothing, as before.
            return new IndexedHeaders(null, null, null, null, null, null);
        }

        return new IndexedHeaders(
            Collect(headers, "Subject"), Collect(headers, "From"), Collect(headers, "To"), Collect(headers, "Cc"),
            Collect(headers, "Bcc"), Collect(headers, "Message-ID"));
    }

    private static string? Collect(HeaderList headers, string field)
    {
        StringBuilder? sb = null;
        foreach (var header in headers)
        {
            if (!header.Field.Equals(field, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            sb ??= new StringBuilder();
            if (sb.Length > 0)
            {
                sb.Append('\n');
            }

            // Both forms, as the message-reading search compares both: the decoded value and the raw octets.
            sb.Append(header.Value).Append('\n').Append(Encoding.UTF8.GetString(header.RawValue).Trim());
        }

        return sb is null ? null : Fold(sb.ToString());
    }
}
