using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Keypost.Mail.Spf;

/// <summary>
/// Expands SPF macro-strings (RFC 7208 §7): letters s l o d i p v h, digit and "r" transformers, delimiters,
/// URL-escaping for upper-case letters, and %% %_ %-. Malformed macros are a permerror.
/// </summary>
internal static class SpfMacroExpander
{
    private const string Delimiters = ".-+,/_=";
    private const int MaxLabels = 128;
    private static readonly SpfMacroContext ValidationContext = new("a@b.c", "b.c", IPAddress.Loopback, "b.c");

    public static void Validate(string macroString) => Expand(macroString, ValidationContext);

    public static string Expand(string macroString, SpfMacroContext context)
    {
        var output = new StringBuilder();
        for (var i = 0; i < macroString.Length; i++)
        {
            var c = macroString[i];
            if (c != '%')
            {
                // macro-literal = %x21-24 / %x26-7E (RFC 7208 §7.1)
                if (c < 0x21 || c > 0x7E)
                {
                    throw SpfException.Perm("invalid character in domain-spec");
                }

                output.Append(c);
                continue;
            }

            if (++i >= macroString.Length)
            {
                throw SpfException.Perm("dangling '%' in macro");
            }

            switch (macroString[i])
            {
                case '%': output.Append('%'); break;
                case '_': output.Append(' '); break;
                case '-': output.Append("%20"); break;
                case '{':
                    var close = macroString.IndexOf('}', i);
                    if (close < 0)
                    {
                        throw SpfException.Perm("unterminated macro");
                    }

                    output.Append(ExpandOne(macroString[(i + 1)..close], context));
                    i = close;
                    break;
                default:
                    throw SpfException.Perm($"invalid macro '%{macroString[i]}'");
            }
        }

        return output.ToString();
    }

    private static string ExpandOne(string body, SpfMacroContext context)
    {
        if (body.Length == 0)
        {
            throw SpfException.Perm("empty macro");
        }

        var letter = body[0];
        var value = char.ToLowerInvariant(letter) switch
        {
            's' => context.Sender,
            'l' => context.Sender[..context.Sender.LastIndexOf('@')],
            'o' => context.Sender[(context.Sender.LastIndexOf('@') + 1)..],
            'd' => context.Domain,
            'i' => DottedAddress(context.Client),
            'p' => "unknown", // §7.3: validated names are costly and discouraged; "unknown" is allowed.
            'v' => context.Client.AddressFamily == AddressFamily.InterNetwork ? "in-addr" : "ip6",
            'h' => context.Helo,
            _ => throw SpfException.Perm($"unknown macro letter '{letter}'"),
        };

        // transformers = *DIGIT [ "r" ], then delimiters (RFC 7208 §7.1)
        var pos = 1;
        while (pos < body.Length && char.IsAsciiDigit(body[pos]))
        {
            pos++;
        }

        int? keep = pos > 1 ? LabelCount(body.AsSpan(1, pos - 1)) : null;
        if (keep == 0)
        {
            throw SpfException.Perm("macro keeps zero labels");
        }

        var reverse = pos < body.Length && (body[pos] == 'r' || body[pos] == 'R');
        if (reverse)
        {
            pos++;
        }

        var delimiters = body[pos..];
        if (delimiters.Any(d => !Delimiters.Contains(d)))
        {
            throw SpfException.Perm($"bad macro delimiters in '%{{{body}}}'");
        }

        if (keep is not null || reverse || delimiters.Length > 0)
        {
            var parts = value.Split(delimiters.Length > 0 ? delimiters.ToCharArray() : ['.']);
            if (reverse)
            {
                Array.Reverse(parts);
            }

            value = string.Join('.', keep is { } k && k < parts.Length ? parts[^k..] : parts);
        }

        // §7.3: an upper-case macro letter means URL-escape the value.
        return char.IsUpper(letter) ? Uri.EscapeDataString(value) : value;
    }

    /// <summary>§7.3: %{i} is dotted-quad for IPv4, 32 dot-separated nibbles for IPv6.</summary>
    private static string DottedAddress(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString();
        }

        var hex = Convert.ToHexStringLower(address.GetAddressBytes());
        return string.Join('.', hex.ToCharArray());
    }

    // RFC 7208 §7.3: a domain name has at most 128 labels, so any larger DIGIT keeps them all. The record comes from
    // the sender's DNS: a digit run too long for an int must not throw (found by AFL++, issue #20, spf-record corpus).
    private static int LabelCount(ReadOnlySpan<char> digits)
    {
        digits = digits.TrimStart('0');
        if (digits.Length > 3)
        {
            return MaxLabels;
        }

        return digits.Length == 0 ? 0 : Math.Min(int.Parse(digits, provider: System.Globalization.CultureInfo.InvariantCulture), MaxLabels);
    }
}
