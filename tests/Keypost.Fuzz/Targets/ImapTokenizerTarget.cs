using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Keypost.Imap;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// The IMAP tokenizer and the parsers built on it, without a session: the input is split into command text and
/// literals as ImapCommandReader does, then read by each grammar in turn. Only ImapParseException (a BAD) is an
/// intended outcome.
/// </summary>
internal static partial class ImapTokenizerTarget
{
    private static readonly Action<ImapTokenizer>[] Grammars =
    [
        t => Repeat(t, () => t.Atom()),
        t => Repeat(t, () => t.AString()),
        t => Repeat(t, () => t.ListMailbox()),
        t => Repeat(t, () => t.StringBytes()),
        t => Repeat(t, () => t.FlagList()),
        t => Repeat(t, () => t.Number()),
        t => Repeat(t, () => SequenceSet.Parse(t)),
        t => SearchParser.Parse(t, []),
        t => FetchParser.Parse(t),
        t => Repeat(t, () => t.TryKeyword("RETURN")),
    ];

    public static void Run(byte[] input)
    {
        var parts = Split(input);
        foreach (var grammar in Grammars)
        {
            try
            {
                grammar(new ImapTokenizer(parts));
            }
            catch (ImapParseException)
            {
                // BAD: the intended answer to text outside the grammar.
            }
        }
    }

    // Like ImapCommandReader: a line ending in {n} or {n+} is followed by n octets of literal.
    internal static List<object> Split(byte[] input)
    {
        var parts = new List<object>();
        var offset = 0;
        while (true)
        {
            var end = input.AsSpan(offset).IndexOf("\r\n"u8);
            var line = Encoding.UTF8.GetString(input, offset, end < 0 ? input.Length - offset : end);
            parts.Add(line);
            if (end < 0)
            {
                return parts;
            }

            offset += end + 2;
            var marker = LiteralMarker().Match(line);
            if (!marker.Success)
            {
                return parts;
            }

            var size = (int)Math.Min(long.Parse(marker.Groups[1].Value, CultureInfo.InvariantCulture), input.Length - offset);
            parts.Add(input.AsSpan(offset, size).ToArray());
            offset += size;
        }
    }

    private static void Repeat(ImapTokenizer t, Action read)
    {
        for (var i = 0; i < 1000 && !t.AtEnd; i++)
        {
            read();
            if (!t.TrySpace())
            {
                break;
            }
        }
    }

    [GeneratedRegex(@"\{([0-9]{1,9})(\+)?\}$", RegexOptions.CultureInvariant)]
    private static partial Regex LiteralMarker();
}
