using System.Text;

namespace Keypost.Core.PgpMime;

/// <summary>
/// RFC 1847 §2.1 / RFC 3156 §5: the bytes a multipart/signed signature covers are the first body part exactly as
/// sent, from after the first boundary line to before the CRLF that precedes the next one. They are cut out of
/// the raw bytes, not re-serialized, so nothing a parser normalises can change what is verified.
/// </summary>
internal static class DetachedSignedPart
{
    public static byte[]? Extract(byte[] raw, string boundary)
    {
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var first = FindAtLineStart(raw, delimiter, 0);
        if (first < 0)
        {
            return null;
        }

        var lineEnd = Array.IndexOf(raw, (byte)'\n', first);
        if (lineEnd < 0)
        {
            return null;
        }

        var start = lineEnd + 1;
        var next = FindAtLineStart(raw, delimiter, start);
        if (next < 0)
        {
            return null;
        }

        // The line break before the delimiter belongs to the delimiter (RFC 2046 §5.1.1).
        var end = next - 1;
        if (end > start && raw[end - 1] == '\r')
        {
            end--;
        }

        return end < start ? null : raw[start..end];
    }

    private static int FindAtLineStart(byte[] raw, byte[] delimiter, int from)
    {
        for (var i = from; i <= raw.Length - delimiter.Length; i++)
        {
            if ((i == 0 || raw[i - 1] == '\n') && raw.AsSpan(i, delimiter.Length).SequenceEqual(delimiter))
            {
                return i;
            }
        }

        return -1;
    }
}
