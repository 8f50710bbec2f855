using System.Globalization;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Store;

namespace Keypost.Store.Maildir;

/// <summary>
/// In charge of the on-disk store: Maildir++ folders, the UID index and durable writes.
/// Each account's Maildir (cur/ new/ tmp/) at <c>&lt;root&gt;/&lt;domain&gt;/&lt;local&gt;/Maildir</c>. Delivery follows the
/// Maildir protocol (cr.yp.to/proto/maildir.html): write into tmp/ under a unique name, fsync, rename into new/,
/// fsync new/. A reader never sees a partial message, and a delivered message survives a crash. One instance per
/// root in a process: it keeps the shared state of open mailboxes, so a delivery wakes the IMAP sessions in IDLE.
/// </summary>
public sealed class MaildirStore : IMailStore, IDisposable, IAsyncDisposable
{
    private readonly string _root;
    private readonly MailboxRegistry _registry = new();
    private readonly DirectorySyncGroup _newDirectorySyncs = new();

    public MaildirStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        _root = Path.GetFullPath(root);
    }

    public string Root => _root;

    public IAccountMailboxes OpenAccount(EmailAddress account)
    {
        var folders = new MaildirFolders(GetMaildirPath(account), _registry);
        if (!folders.Exists("INBOX"))
        {
            folders.Create("INBOX");
        }

        return folders;
    }

    /// <summary>Closes every open mailbox: its index (SQLite checkpoints and removes the WAL) and its inotify watches.</summary>
    public void Dispose() => _registry.Dispose();

    /// <summary>
    /// As <see cref="Dispose()"/>, for owners that hold an <see cref="IMailStore"/> and close it with
    /// <c>await using (store as IAsyncDisposable)</c>, as they do for the PostgreSQL store.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The account's Maildir path, whether or not it exists yet.</summary>
    public string GetMaildirPath(EmailAddress account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return Path.Combine(_root, account.Domain, SafeLocalPart(account), "Maildir");
    }

    public Task<string> DeliverAsync(EmailAddress recipient, Stream message, CancellationToken cancellationToken) =>
        DeliverToPathAsync(recipient, null, ReadOnlyMemory<byte>.Empty, message, cancellationToken);

    /// <summary>Delivers <paramref name="prefix"/> (e.g. a Return-Path header) followed by the message; returns the file's path in new/.</summary>
    public Task<string> DeliverAsync(EmailAddress recipient, ReadOnlyMemory<byte> prefix, Stream message, CancellationToken cancellationToken) =>
        DeliverToPathAsync(recipient, null, prefix, message, cancellationToken);

    /// <summary>
    /// Delivers into <paramref name="folder"/> (Maildir++: the <c>.Name</c> directory inside the account's Maildir,
    /// created when missing), or into INBOX when null.
    /// </summary>
    /// <exception cref="ArgumentException">The folder name is not plain ASCII letters and digits.</exception>
    public Task DeliverAsync(EmailAddress recipient, string? folder, ReadOnlyMemory<byte> prefix, Stream message, CancellationToken cancellationToken) =>
        DeliverToPathAsync(recipient, folder, prefix, message, cancellationToken);

    /// <summary>Delivers as the folder overload of DeliverAsync does; returns the file's path in new/ (for tests and tools).</summary>
    public async Task<string> DeliverToPathAsync(EmailAddress recipient, string? folder, ReadOnlyMemory<byte> prefix, Stream message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (folder is not null && !MailboxNames.IsDeliveryFolder(folder))
        {
            throw new ArgumentException("a delivery folder is ASCII letters and digits only", nameof(folder));
        }

        var maildir = folder is null ? GetMaildirPath(recipient) : Path.Combine(GetMaildirPath(recipient), "." + folder);
        if (folder is not null)
        {
            EnsureMaildir(maildir);
            // Maildir++: marks the directory as a folder for other tools (Courier, Dovecot) and our IMAP side.
            var marker = Path.Combine(maildir, "maildirfolder");
            if (!File.Exists(marker))
            {
                await File.WriteAllBytesAsync(marker, [], cancellationToken).ConfigureAwait(false);
            }
        }

        var name = MaildirNames.Unique();
        var tmp = Path.Combine(maildir, "tmp", name);
        var target = Path.Combine(maildir, "new", name);
        try
        {
            // The Maildir's directories are made (durably) only when the file cannot be created: checking all
            // three on every delivery cost three stat calls per message for a case that happens once per account.
            try
            {
                await DurableFiles.WriteNewFileAsync(tmp, message, prefix, cancellationToken).ConfigureAwait(false);
            }
            catch (DirectoryNotFoundException)
            {
                // Thrown by the open, before anything was read from the message.
                EnsureMaildir(maildir);
                await DurableFiles.WriteNewFileAsync(tmp, message, prefix, cancellationToken).ConfigureAwait(false);
            }

            // Maildir: the rename publishes the complete message; fsync new/ so the name itself is durable.
            try
            {
                File.Move(tmp, target, overwrite: false);
            }
            catch (DirectoryNotFoundException)
            {
                // new/ was removed while tmp/ stayed: make the Maildir whole again.
                EnsureMaildir(maildir);
                File.Move(tmp, target, overwrite: false);
            }

            // Parallel deliveries into one Maildir share the fsync of new/ (one per group, not per message).
            await _newDirectorySyncs.SyncAsync(Path.Combine(maildir, "new")).ConfigureAwait(false);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }

        // Sessions with this folder open learn of the message now rather than at their next command.
        _registry.Find(maildir)?.MarkChanged();
        return target;
    }

    private static void EnsureMaildir(string maildir)
    {
        foreach (var sub in (string[])["tmp", "new", "cur"])
        {
            DurableFiles.CreateDirectoryDurably(Path.Combine(maildir, sub));
        }
    }

    // The local part becomes one path segment: ASCII letters lower-cased (as addresses are compared), and any
    // character that could escape the directory or confuse tools percent-encoded.
    private static string SafeLocalPart(EmailAddress account)
    {
        var local = account.Canonical[..account.Canonical.LastIndexOf('@')];
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(local))
        {
            var c = (char)b;
            var safe = char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '+' || (c == '.' && sb.Length > 0);
            if (safe)
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }
}
