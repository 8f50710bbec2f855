using System.Globalization;
using System.Text;

namespace Keypost.Imap;

/// <summary>A strict cursor over a command's text and literals (RFC 9051 §9): atoms, quoted strings, literals, lists.</summary>
internal sealed class ImapTokenizer
{
    private readonly IReadOnlyList<object> _parts;
    private int _part;
    private int _pos;

    public ImapTokenizer(IReadOnlyList<object> parts)
    {
        _parts = parts;
    }

    private string Text => (string)_parts[_part];

    /// <summary>The next character, or '\0' at the end of the current text segment.</summary>
    public char Peek => _parts[_part] is string s && _pos < s.Length ? s[_pos] : '\0';

    public bool AtEnd => _part == _parts.Count - 1 && _pos >= Text.Length;

    public static bool IsValidTag(string tag) => tag.Length > 0 && tag.All(c => IsAtomChar(c) && c != '+');

    // RFC 9051 §9: ATOM-CHAR is any CHAR except atom-specials: ( ) { SP CTL list-wildcards quoted-specials resp-specials.
    public static bool IsAtomChar(char c) => c > ' ' && c < 0x7f && c is not ('(' or ')' or '{' or '%' or '*' or '"' or '\\' or ']');

    public void ExpectEnd()
    {
        if (!AtEnd)
        {
            throw new ImapParseException("unexpected characters at end of command");
        }
    }

    public void Space()
    {
        if (Peek != ' ')
        {
            throw new ImapParseException("expected a space");
        }

        _pos++;
    }

    public bool TrySpace()
    {
        if (Peek != ' ')
        {
            return false;
        }

        _pos++;
        return true;
    }

    public void Expect(char c)
    {
        if (Peek != c)
        {
            throw new ImapParseException($"expected '{c}'");
        }

        _pos++;
    }

    public bool TryTake(char c)
    {
        if (Peek != c)
        {
            return false;
        }

        _pos++;
        return true;
    }

    /// <summary>Characters accepted by <paramref name="accept"/>; at least one.</summary>
    public string Take(Func<char, bool> accept, string what)
    {
        var start = _pos;
        while (_pos < Text.Length && accept(Text[_pos]))
        {
            _pos++;
        }

        if (_pos == start)
        {
            throw new ImapParseException("expected " + what);
        }

        return Text[start.._pos];
    }

    /// <summary>Consumes <paramref name="keyword"/> (any case) when it comes next, followed by a space or the end.</summary>
    public bool TryKeyword(string keyword)
    {
        if (_parts[_part] is not string s || _pos + keyword.Length > s.Length
            || !s.AsSpan(_pos, keyword.Length).Equals(keyword, StringComparison.OrdinalIgnoreCase)
            || (_pos + keyword.Length < s.Length && s[_pos + keyword.Length] != ' '))
        {
            return false;
        }

        _pos += keyword.Length;
        return true;
    }

    public string Atom() => Take(IsAtomChar, "an atom");

    public uint Number()
    {
        var digits = Take(char.IsAsciiDigit, "a number");
        if (!uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new ImapParseException("number out of range");
        }

        return n;
    }

    /// <summary>astring: atom (with ']' allowed), quoted string or literal, as UTF-8 text.</summary>
    public string AString()
    {
        if (Peek is '"' or '{')
        {
            return Encoding.UTF8.GetString(StringBytes());
        }

        return Take(c => IsAtomChar(c) || c == ']', "a string");
    }

    /// <summary>A LIST mailbox pattern: an astring that may also hold the list wildcards % and *.</summary>
    public string ListMailbox()
    {
        if (Peek is '"' or '{')
        {
            return Encoding.UTF8.GetString(StringBytes());
        }

        return Take(c => IsAtomChar(c) || c is ']' or '%' or '*', "a mailbox pattern");
    }

    /// <summary>A quoted string or a literal, as octets.</summary>
    public byte[] StringBytes()
    {
        if (Peek == '"')
        {
            return Encoding.UTF8.GetBytes(Quoted());
        }

        if (Peek == '{')
        {
            var close = Text.IndexOf('}', _pos);
            if (close != Text.Length - 1 || _part + 1 >= _parts.Count || _parts[_part + 1] is not byte[] literal)
            {
                throw new ImapParseException("malformed literal");
            }

            _part += 2;
            _pos = 0;
            return literal;
        }

        throw new ImapParseException("expected a string");
    }

    private string Quoted()
    {
        Expect('"');
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= Text.Length)
            {
                throw new ImapParseException("unterminated quoted string");
            }

            var c = Text[_pos++];
            if (c == '"')
            {
                return sb.ToString();
            }

            if (c == '\\')
            {
                if (_pos >= Text.Length || Text[_pos] is not ('"' or '\\'))
                {
                    throw new ImapParseException("bad escape in quoted string");
                }

                c = Text[_pos++];
            }
            else if (c is '\r' or '\n' or '\0')
            {
                throw new ImapParseException("control character in quoted string");
            }

            sb.Append(c);
        }
    }

    /// <summary>A parenthesised list of flag atoms (\Seen, $Label).</summary>
    public List<string> FlagList()
    {
        Expect('(');
        var flags = new List<string>();
        while (!TryTake(')'))
        {
            if (flags.Count > 0)
            {
                Space();
            }

            var backslash = TryTake('\\') ? "\\" : "";
            flags.Add(backslash + Atom());
        }

        return flags;
    }
}
