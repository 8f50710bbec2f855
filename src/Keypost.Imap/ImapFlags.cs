using Keypost.Store;

namespace Keypost.Imap;

/// <summary>The IMAP names of the system flags (RFC 9051 §2.3.2) the store keeps.</summary>
internal static class ImapFlags
{
    public const string AllFlags = @"(\Answered \Flagged \Deleted \Seen \Draft)";

    public static string ToImap(MessageFlags flags)
    {
        var names = new List<string>();
        if (flags.HasFlag(MessageFlags.Seen))
        {
            names.Add(@"\Seen");
        }

        if (flags.HasFlag(MessageFlags.Answered))
        {
            names.Add(@"\Answered");
        }

        if (flags.HasFlag(MessageFlags.Flagged))
        {
            names.Add(@"\Flagged");
        }

        if (flags.HasFlag(MessageFlags.Deleted))
        {
            names.Add(@"\Deleted");
        }

        if (flags.HasFlag(MessageFlags.Draft))
        {
            names.Add(@"\Draft");
        }

        return "(" + string.Join(' ', names) + ")";
    }

    /// <summary>IMAP flag names to flags; keywords and \Recent are ignored (PERMANENTFLAGS has no \*).</summary>
    public static MessageFlags FromImap(IEnumerable<string> names)
    {
        var flags = MessageFlags.None;
        foreach (var name in names)
        {
            flags |= name.ToUpperInvariant() switch
            {
                @"\SEEN" => MessageFlags.Seen,
                @"\ANSWERED" => MessageFlags.Answered,
                @"\FLAGGED" => MessageFlags.Flagged,
                @"\DELETED" => MessageFlags.Deleted,
                @"\DRAFT" => MessageFlags.Draft,
                _ => MessageFlags.None,
            };
        }

        return flags;
    }
}
