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

            sb.Append(Lines[i]).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
