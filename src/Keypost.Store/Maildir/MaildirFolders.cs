using Keypost.Store;

namespace Keypost.Store.Maildir;

/// <summary>
/// An account's mailboxes in Maildir++ layout (as Dovecot uses it): INBOX is the Maildir itself, every other
/// mailbox a <c>.Name</c> directory inside it, with '.' as the hierarchy delimiter (<c>.Archive.2024</c>).
/// </summary>
internal sealed class MaildirFolders : IAccountMailboxes
{
    public const char Delimiter = MailboxNames.Delimiter;

    private readonly string _root;
    private readonly MailboxRegistry _registry;

    public MaildirFolders(string root, MailboxRegistry registry)
    {
        _root = root;
        _registry = registry;
    }

    public static bool IsInbox(string name) => MailboxNames.IsInbox(name);

    public IMailbox Get(string name) => _registry.Get(PathOf(name), _root);

    public string PathOf(string name) => IsInbox(name) ? _root : Path.Combine(_root, Delimiter + name);

    public bool Exists(string name) => Directory.Exists(Path.Combine(PathOf(name), "cur"));

    public void Create(string name)
    {
        var path = PathOf(name);
        foreach (var sub in (string[])["tmp", "new", "cur"])
        {
            DurableFiles.CreateDirectoryDurably(Path.Combine(path, sub));
        }

        if (!IsInbox(name))
        {
            // Maildir++: marks the directory as a folder for other tools (Courier, Dovecot).
            var marker = Path.Combine(path, "maildirfolder");
            if (!File.Exists(marker))
            {
                File.WriteAllBytes(marker, []);
            }
        }
    }

    /// <summary>INBOX first, then every folder in ordinal order.</summary>
    public IReadOnlyList<string> List()
    {
        var names = new List<string> { "INBOX" };
        if (!Directory.Exists(_root))
        {
            return names;
        }

        names.AddRange(new DirectoryInfo(_root).EnumerateDirectories(".*")
            .Where(d => d.Name.Length > 1 && d.Name != ".." && Directory.Exists(Path.Combine(d.FullName, "cur")))
            .Select(d => d.Name[1..])
            .Where(n => MailboxNames.Normalize(n) == n)
            .Order(StringComparer.Ordinal));
        return names;
    }

    public bool HasChildren(string name) =>
        !IsInbox(name) && List().Any(n => n.StartsWith(name + Delimiter, StringComparison.Ordinal));

    public void Delete(string name)
    {
        _registry.Forget(PathOf(name));
        Directory.Delete(PathOf(name), recursive: true);
        DurableFiles.SyncDirectory(_root);
    }

    /// <summary>Renames a folder and its children (Maildir++ keeps them as siblings).</summary>
    public void Rename(string from, string to)
    {
        _registry.Forget(PathOf(from));
        foreach (var name in List().Where(n => n == from || n.StartsWith(from + Delimiter, StringComparison.Ordinal)))
        {
            Directory.Move(PathOf(name), PathOf(to + name[from.Length..]));
        }

        DurableFiles.SyncDirectory(_root);
    }
}
