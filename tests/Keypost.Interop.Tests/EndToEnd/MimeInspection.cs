using System.Text;
using MimeKit;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>What an observer can get out of stored or recorded mail: raw text and every part decoded.</summary>
public static class MimeInspection
{
    /// <summary>The message bodies sent after each DATA command, dot-unstuffed (RFC 5321 §4.5.2).</summary>
    public static IReadOnlyList<byte[]> DataSections(byte[] smtpClientBytes)
    {
        var text = Encoding.Latin1.GetString(smtpClientBytes);
        var sections = new List<byte[]>();
        var at = 0;
        while ((at = text.IndexOf("DATA\r\n", at, StringComparison.Ordinal)) >= 0)
        {
            var start = at + "DATA\r\n".Length;
            var end = text.IndexOf("\r\n.\r\n", start, StringComparison.Ordinal);
            if (end < 0)
            {
                break;
            }

            var content = ("\r\n" + text[start..(end + 2)]).Replace("\r\n..", "\r\n.", StringComparison.Ordinal)[2..];
            sections.Add(Encoding.Latin1.GetBytes(content));
            at = end;
        }

        return sections;
    }

    /// <summary>The raw text plus every MIME part's content with its transfer encoding undone.</summary>
    public static IReadOnlyList<string> Views(byte[] message)
    {
        var views = new List<string> { Encoding.Latin1.GetString(message) };
        using var input = new MemoryStream(message);
        var parsed = MimeMessage.Load(input);
        views.Add(parsed.Subject ?? "");
        foreach (var part in parsed.BodyParts.OfType<MimePart>())
        {
            using var decoded = new MemoryStream();
            part.Content?.DecodeTo(decoded);
            views.Add(Encoding.UTF8.GetString(decoded.ToArray()));
        }

        return views;
    }

    /// <summary>The decoded application/octet-stream part of a PGP/MIME message (RFC 3156 §4).</summary>
    public static byte[] EncryptedPart(MimeMessage message)
    {
        var part = message.BodyParts.OfType<MimePart>().Single(p => p.ContentType.IsMimeType("application", "octet-stream"));
        using var decoded = new MemoryStream();
        part.Content!.DecodeTo(decoded);
        return decoded.ToArray();
    }
}
