using System.Globalization;
using System.Text;

namespace Keypost.Transparency.Tiles;

/// <summary>
/// A C2SP tlog-tiles resource: tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;], or tile/entries/&lt;N&gt;[.p/&lt;W&gt;] for an
/// entry bundle (<see cref="Level"/> = -1). Width 256 is a full tile.
/// </summary>
public sealed record TileAddress(int Level, long Index, int Width)
{
    public const int FullWidth = 256;

    public bool IsEntries => Level < 0;

    public bool IsPartial => Width < FullWidth;

    /// <summary>The path below the log prefix, e.g. tile/0/x001/x234/067.p/8.</summary>
    public string Path()
    {
        var builder = new StringBuilder("tile/");
        builder.Append(IsEntries ? "entries" : Level.ToString(CultureInfo.InvariantCulture)).Append('/').Append(EncodeIndex(Index));
        if (IsPartial)
        {
            builder.Append(".p/").Append(Width.ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>C2SP tlog-tiles: zero-padded 3-digit elements, all but the last prefixed with 'x' (1234067 = x001/x234/067).</summary>
    public static string EncodeIndex(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var groups = new List<string>();
        do
        {
            groups.Add((index % 1000).ToString("000", CultureInfo.InvariantCulture));
            index /= 1000;
        }
        while (index > 0);

        groups.Reverse();
        for (var i = 0; i < groups.Count - 1; i++)
        {
            groups[i] = "x" + groups[i];
        }

        return string.Join('/', groups);
    }

    /// <summary>Parses the path after "tile/"; null for anything not exactly in the spec's form.</summary>
    public static TileAddress? TryParse(string path)
    {
        var parts = path.Split('/');
        if (parts.Length < 2)
        {
            return null;
        }

        int level;
        if (parts[0] == "entries")
        {
            level = -1;
        }
        else if (!TryDecimal(parts[0], 63, out var l))
        {
            return null;
        }
        else
        {
            level = (int)l;
        }

        var rest = parts[1..];
        var width = FullWidth;
        if (rest.Length >= 2 && rest[^2].EndsWith(".p", StringComparison.Ordinal))
        {
            if (!TryDecimal(rest[^1], 255, out var w) || w == 0)
            {
                return null;
            }

            width = (int)w;
            rest = [.. rest[..^2], rest[^2][..^2]];
        }

        long index = 0;
        for (var i = 0; i < rest.Length; i++)
        {
            var element = rest[i];
            var last = i == rest.Length - 1;
            if (!last)
            {
                if (!element.StartsWith('x'))
                {
                    return null;
                }

                element = element[1..];
            }

            if (element.Length != 3 || element.Any(c => c is < '0' or > '9'))
            {
                return null;
            }

            // A leading x000 group would give one index two spellings.
            if (i == 0 && !last && element == "000")
            {
                return null;
            }

            if (index > (long.MaxValue - 999) / 1000)
            {
                return null;
            }

            index = index * 1000 + int.Parse(element, CultureInfo.InvariantCulture);
        }

        return new TileAddress(level, index, width);
    }

    private static bool TryDecimal(string text, long max, out long value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 3 || text.Any(c => c is < '0' or > '9') || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        value = long.Parse(text, CultureInfo.InvariantCulture);
        return value <= max;
    }
}
