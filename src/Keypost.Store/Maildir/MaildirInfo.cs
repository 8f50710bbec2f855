using System.Text;

namespace Keypost.Store.Maildir;

/// <summary>
/// Maildir's ":2," info suffix (cr.yp.to/proto/maildir.html): D=Draft F=Flagged R=Replied S=Seen T=Trashed, in ASCII
/// order. Letters we do not map (P, lower-case keywords) are kept as they were.
/// </summary>
internal static class MaildirInfo
{
    public static (string BaseName, MessageFlags Flags, string Other) Parse(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var colon = fileName.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return (fileName, MessageFlags.None, "");
        }

        // Called for every row when an index of 100k messages loads: no copies beyond the base name, and the
        // "other letters" string only when there are any.
        var info = fileName.AsSpan(colon + 1);
        var flags = MessageFlags.None;
        StringBuilder? other = null;
        if (info.StartsWith("2,", StringComparison.Ordinal))
        {
            foreach (var c in info[2..])
            {
                var f = FromLetter(c);
                if (f == MessageFlags.None)
                {
                    (other ??= new StringBuilder()).Append(c);
                }

                flags |= f;
            }
        }

        return (fileName[..colon], flags, other?.ToString() ?? "");
    }

    public static string FileName(string baseName, MessageFlags flags, string other)
    {
        var letters = new List<char>(other);
        foreach (var (flag, letter) in Letters)
        {
            if (flags.HasFlag(flag))
            {
                letters.Add(letter);
            }
        }

        letters.Sort();
        return baseName + ":2," + new string(letters.Distinct().ToArray());
    }

    private static readonly (MessageFlags Flag, char Letter)[] Letters =
    [
        (MessageFlags.Draft, 'D'), (MessageFlags.Flagged, 'F'), (MessageFlags.Answered, 'R'),
        (MessageFlags.Seen, 'S'), (MessageFlags.Deleted, 'T'),
    ];

    private static MessageFlags FromLetter(char c) => c switch
    {
        'D' => MessageFlags.Draft,
        'F' => MessageFlags.Flagged,
        'R' => MessageFlags.Answered,
        'S' => MessageFlags.Seen,
        'T' => MessageFlags.Deleted,
        _ => MessageFlags.None,
    };
}
