namespace Keypost.Store;

/// <summary>The rules for mailbox names every store keeps: INBOX in any case, '.' between levels, no path tricks.</summary>
public static class MailboxNames
{
    public const char Delimiter = '.';

    public static bool IsInbox(string name) => name.Equals("INBOX", StringComparison.OrdinalIgnoreCase);

    /// <summary>The canonical name (INBOX in capitals), or null when the name cannot be a mailbox.</summary>
    public static string? Normalize(string name)
    {
        if (IsInbox(name))
        {
            return "INBOX";
        }

        name = name.TrimEnd(Delimiter);
        if (name.Length == 0 || name.Length > 200 || name.StartsWith(Delimiter) || name.Contains("..", StringComparison.Ordinal)
            || name.Any(c => char.IsControl(c) || c is '/' or '\\' or '*' or '%' or '~'))
        {
            return null;
        }

        return name;
    }

    /// <summary>True for names delivery may use as a folder (e.g. Junk): 1-64 ASCII letters and digits.</summary>
    public static bool IsDeliveryFolder(string folder) =>
        folder.Length is > 0 and <= 64 && folder.All(char.IsAsciiLetterOrDigit);
}
