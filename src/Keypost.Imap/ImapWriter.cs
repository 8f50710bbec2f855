using System.Globalization;
using System.Text;

namespace Keypost.Imap;

/// <summary>Appends response syntax (RFC 9051 §9) to a buffer: atoms, nstrings as quoted strings or literals.</summary>
internal sealed class ImapWriter(MemoryStream output)
{
    public ImapWriter Raw(string ascii)
    {
        output.Write(Encoding.UTF8.GetBytes(ascii));
        return this;
    }

    public ImapWriter Number(long n) => Raw(n.ToString(CultureInfo.InvariantCulture));

    /// <summary>NIL for null; a quoted string when it is plain ASCII, otherwise a literal.</summary>
    public ImapWriter NString(string? value)
    {
        if (value is null)
        {
            return Raw("NIL");
        }

        if (value.Length < 1024 && value.All(c => c >= ' ' && c < 0x7f))
        {
            return Raw("\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        }

        return Literal(Encoding.UTF8.GetBytes(value));
    }

    public ImapWriter Literal(ReadOnlySpan<byte> bytes)
    {
        Raw("{" + bytes.Length.ToString(CultureInfo.InvariantCulture) + "}\r\n");
        output.Write(bytes);
        return this;
    }

    public ImapWriter Line() => Raw("\r\n");
}
