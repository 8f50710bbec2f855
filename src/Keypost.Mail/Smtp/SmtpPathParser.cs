using Keypost.Core.Addresses;

namespace Keypost.Mail.Smtp;

/// <summary>
/// Parses "FROM:&lt;path&gt; params" and "TO:&lt;path&gt; params" (RFC 5321 §4.1.2). Only the last '@' outside
/// quotes separates local part and domain: '%' and '!' stay in the local part and never route anywhere.
/// </summary>
internal static class SmtpPathParser
{
    public static SmtpPath Parse(string argument, string keyword, bool allowNull)
    {
        if (!argument.StartsWith(keyword, StringComparison.OrdinalIgnoreCase))
        {
            return Fail(SmtpPathStatus.SyntaxError, "expected " + keyword + "<address>");
        }

        // RFC 5321 has no space after the colon, but many clients send one; accepting it is harmless.
        var rest = argument[keyword.Length..].TrimStart(' ');
        if (!rest.StartsWith('<'))
        {
            return Fail(SmtpPathStatus.SyntaxError, "the address must be in angle brackets");
        }

        var close = FindClosingBracket(rest);
        if (close < 0)
        {
            return Fail(SmtpPathStatus.SyntaxError, "missing '>'");
        }

        var inner = rest[1..close];
        var tail = rest[(close + 1)..];
        if (tail.Length > 0 && tail[0] != ' ')
        {
            return Fail(SmtpPathStatus.SyntaxError, "text after '>' must be parameters");
        }

        var parameters = ParseParameters(tail);
        if (parameters is null)
        {
            return Fail(SmtpPathStatus.SyntaxError, "malformed parameter");
        }

        var nonAscii = inner.Any(c => c > 0x7f);
        if (inner.Length == 0)
        {
            return allowNull
                ? new SmtpPath(SmtpPathStatus.Null, null, parameters, false, null)
                : Fail(SmtpPathStatus.BadAddress, "the null path is only for MAIL FROM");
        }

        var mailbox = StripSourceRoute(inner);
        if (mailbox is null)
        {
            return Fail(SmtpPathStatus.BadAddress, "malformed source route");
        }

        var at = LastAtOutsideQuotes(mailbox);
        if (at <= 0)
        {
            return Fail(SmtpPathStatus.BadAddress, "not an address of the form local@domain");
        }

        if (mailbox[(at + 1)..].StartsWith('['))
        {
            return new SmtpPath(SmtpPathStatus.AddressLiteral, null, parameters, nonAscii, "address literals are not served");
        }

        return EmailAddress.TryParse(mailbox, out var address, out var error)
            ? new SmtpPath(SmtpPathStatus.Mailbox, address, parameters, nonAscii, null)
            : Fail(SmtpPathStatus.BadAddress, error);
    }

    private static SmtpPath Fail(SmtpPathStatus status, string? error) => new(status, null, [], false, error);

    private static int FindClosingBracket(string text)
    {
        var quoted = false;
        for (var i = 1; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted && c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '>' && !quoted)
            {
                return i;
            }
        }

        return -1;
    }

    private static int LastAtOutsideQuotes(string text)
    {
        var quoted = false;
        var last = -1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted && c == '\\')
            {
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '@' && !quoted)
            {
                last = i;
            }
        }

        return quoted ? -1 : last;
    }

    // RFC 5321 §4.1.1.3 and Appendix C: a source route "@a,@b:user@c" SHOULD be accepted, stripped and ignored.
    private static string? StripSourceRoute(string path)
    {
        if (!path.StartsWith('@'))
        {
            return path;
        }

        var i = 0;
        while (i < path.Length && path[i] == '@')
        {
            i++;
            var start = i;
            while (i < path.Length && path[i] is not (',' or ':'))
            {
                if (path[i] == '[')
                {
                    var end = path.IndexOf(']', i);
                    if (end < 0)
                    {
                        return null;
                    }

                    i = end;
                }

                i++;
            }

            if (i == start || i >= path.Length)
            {
                return null;
            }

            if (path[i] == ':')
            {
                return path[(i + 1)..];
            }

            i++;
        }

        return null;
    }

    // RFC 5321 §4.1.2: esmtp-param = esmtp-keyword ["=" esmtp-value].
    private static List<KeyValuePair<string, string?>>? ParseParameters(string tail)
    {
        var list = new List<KeyValuePair<string, string?>>();
        foreach (var part in tail.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? null : part[(eq + 1)..];
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || value?.Length == 0)
            {
                return null;
            }

            list.Add(new KeyValuePair<string, string?>(key.ToUpperInvariant(), value));
        }

        return list;
    }
}
