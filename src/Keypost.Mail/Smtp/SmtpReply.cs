using System.Text;

namespace Keypost.Mail.Smtp;

/// <summary>One SMTP reply, possibly multi-line, with its RFC 3463 enhanced code when it has one.</summary>
internal sealed record SmtpReply(int Code, string? EnhancedCode, IReadOnlyList<string> Lines)
{
    public SmtpReply(int code, string? enhancedCode, string text)
        : this(code, enhancedCode, [text])
    {
    }

    public bool IsError => Code >= 400;

    // RFC 5321 §4.2.1: "code-" on every line but the last, "code " on the last.
    public byte[] ToBytes()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < Lines.Count; i++)
        {
            sb.Append(Code).Append(i == Lines.Count - 1 ? ' ' : '-');
            if (EnhancedCode is not null)
            {
                sb.Append(EnhancedCode).Append(' ');
            }

            AppendAscii(sb, Lines[i]);
            sb.Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    // RFC 5321 §4.2: reply text is US-ASCII (RFC 6531 §3.7.4 allows UTF-8 only once SMTPUTF8 is in use; ASCII is
    // right in every case). Texts quoting RFCs or a client's words are made ASCII here, in one place.
    private static void AppendAscii(StringBuilder sb, string text)
    {
        foreach (var c in text)
        {
            switch (c)
            {
                case '\u00a7':
                    sb.Append("section ");
                    break;
                case '\u2026':
                    sb.Append("...");
                    break;
                case '\u2018' or '\u2019':
                    sb.Append('\'');
                    break;
                case '\u201c' or '\u201d':
                    sb.Append('"');
                    break;
                case '\u2013' or '\u2014':
                    sb.Append('-');
                    break;
                case >= ' ' and < '\u007f':
                    sb.Append(c);
                    break;
                default:
                    sb.Append('?');
                    break;
            }
        }
    }
}
