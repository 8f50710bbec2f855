using System.Globalization;

namespace Keypost.Transparency.Notes;

/// <summary>A C2SP tlog-checkpoint note text: origin, tree size, base64 root hash, optional extension lines.</summary>
public sealed record Checkpoint(string Origin, long Size, byte[] RootHash)
{
    public string Format() => $"{Origin}\n{Size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(RootHash)}\n";

    public static Checkpoint Parse(string text)
    {
        if (!text.EndsWith('\n'))
        {
            throw new NoteFormatException("a checkpoint text ends in a newline");
        }

        var lines = text[..^1].Split('\n');
        // C2SP tlog-checkpoint: at least three non-empty lines; extensions, if any, non-empty too.
        if (lines.Length < 3 || lines.Any(l => l.Length == 0))
        {
            throw new NoteFormatException("a checkpoint has at least three non-empty lines");
        }

        var size = lines[1];
        if (size.Length == 0 || size.Any(c => c is < '0' or > '9') || (size.Length > 1 && size[0] == '0')
            || !long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var treeSize))
        {
            throw new NoteFormatException("a checkpoint's size is a decimal without leading zeroes");
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            throw new NoteFormatException("a checkpoint's root hash is not base64");
        }

        if (root.Length != 32)
        {
            throw new NoteFormatException("a checkpoint's root hash has 32 bytes");
        }

        return new Checkpoint(lines[0], treeSize, root);
    }
}
