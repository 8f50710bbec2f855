using System.Globalization;
using System.Text;

namespace Keypost.Imap;

/// <summary>A sequence-set (RFC 9051 §9): numbers and ranges, '*' meaning the largest number in use.</summary>
internal sealed class SequenceSet
{
    private readonly List<(uint From, uint To)> _ranges;

    private SequenceSet(List<(uint From, uint To)> ranges)
    {
        _ranges = ranges;
    }

    public static bool IsStart(char c) => char.IsAsciiDigit(c) || c == '*';

    public static SequenceSet Parse(ImapTokenizer t)
    {
        var text = t.Take(c => char.IsAsciiDigit(c) || c is ':' or ',' or '*', "a sequence set");
        var ranges = new List<(uint, uint)>();
        foreach (var part in text.Split(','))
        {
            var bounds = part.Split(':');
            if (bounds.Length > 2)
            {
                throw new ImapParseException("bad sequence set");
            }

            var a = Bound(bounds[0]);
            var b = bounds.Length == 2 ? Bound(bounds[1]) : a;
            ranges.Add((a, b));
        }

        return new SequenceSet(ranges);
    }

    // uint.MaxValue stands for '*' until the largest number is known.
    private static uint Bound(string text)
    {
        if (text == "*")
        {
            return uint.MaxValue;
        }

        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n == 0)
        {
            throw new ImapParseException("bad sequence number");
        }

        return n;
    }

    public bool Contains(uint value, uint largest)
    {
        foreach (var (from, to) in _ranges)
        {
            var a = from == uint.MaxValue ? largest : from;
            var b = to == uint.MaxValue ? largest : to;
            if (value >= Math.Min(a, b) && value <= Math.Max(a, b))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The ranges with '*' resolved to <paramref name="largest"/>, each as (low, high).</summary>
    public IEnumerable<(uint Low, uint High)> Ranges(uint largest)
    {
        foreach (var (from, to) in _ranges)
        {
            var a = from == uint.MaxValue ? largest : from;
            var b = to == uint.MaxValue ? largest : to;
            yield return (Math.Min(a, b), Math.Max(a, b));
        }
    }

    /// <summary>Writes ascending numbers compactly (1:3,7).</summary>
    public static string Format(IEnumerable<uint> values)
    {
        var sorted = values.Order().ToList();
        var sb = new StringBuilder();
        for (var i = 0; i < sorted.Count; i++)
        {
            var start = sorted[i];
            while (i + 1 < sorted.Count && sorted[i + 1] == sorted[i] + 1)
            {
                i++;
            }

            sb.Append(sb.Length > 0 ? "," : "").Append(start.ToString(CultureInfo.InvariantCulture));
            if (sorted[i] != start)
            {
                sb.Append(':').Append(sorted[i].ToString(CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
