using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Store;

namespace Keypost.Store.Maildir;

/// <summary>
/// Each account's Maildir (cur/ new/ tmp/) at <c>&lt;root&gt;/&lt;domain&gt;/&lt;local&gt;/Maildir</c>. Delivery follows the
/// Maildir protocol (cr.yp.to/proto/maildir.html): write into tmp/ under a unique name, fsync, rename into new/,
/// fsync new/. A reader never sees a partial message, and a delivered message survives a crash.
/// </summary>
public sealed class MaildirStore
{
    private readonly string root;
    private readonly string hostName;

    public MaildirStore(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        this.root = Path.GetFullPath(root);
        hostName = SafeHostName(Environment.MachineName);
    }

    public string Root => root;

    /// <summary>The account's Maildir path, whether or not it exists yet.</summary>
    public string GetMaildirPath(EmailAddress account)
    {
        ArgumentNullException.ThrowIfNull(account);
        return Path.Combine(root, account.Domain, SafeLocalPart(account), "Maildir");
    }

    /// <summary>
    /// The header this server's own intake puts on the first line of a message to choose a folder (e.g. Junk).
    /// Intake removes it from everything it receives, and delivery honours it only on the first line.
    /// </summary>
    public const string FolderHeader = "X-Keypost-Folder";

    public Task<string> DeliverAsync(EmailAddress recipient, Stream message, CancellationToken cancellationToken) =>
        DeliverAsync(recipient, ReadOnlyMemory<byte>.Empty, message, cancellationToken);

    /// <summary>Delivers <paramref name="prefix"/> (e.g. a Return-Path header) followed by the message; returns the file's path in new/.</summary>
    public Task<string> DeliverAsync(EmailAddress recipient, ReadOnlyMemory<byte> prefix, Stream message, CancellationToken cancellationToken) =>
        DeliverAsync(recipient, null, prefix, message, cancellationToken);

    /// <summary>
    /// Delivers into <paramref name="folder"/> (Maildir++: the <c>.Name</c> directory inside the account's Maildir,
    /// created when missing), or into INBOX when null.
    /// </summary>
    /// <exception cref="ArgumentException">The folder name is not plain ASCII letters and digits.</exception>
    public async Task<string> DeliverAsync(EmailAddress recipient, string? folder, ReadOnlyMemory<byte> prefix, Stream message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (folder is not null && !IsSimpleFolderName(folder))
        {
            throw new ArgumentException("a delivery folder is ASCII letters and digits only", nameof(folder));
        }

        var maildir = folder is null ? GetMaildirPath(recipient) : Path.Combine(GetMaildirPath(recipient), "." + folder);
        EnsureMaildir(maildir);
        if (folder is not null)
        {
            // Maildir++: marks the directory as a folder for other tools (Courier, Dovecot) and our IMAP side.
            var marker = Path.Combine(maildir, "maildirfolder");
            if (!File.Exists(marker))
            {
                await File.WriteAllBytesAsync(marker, [], cancellationToken).ConfigureAwait(false);
            }
        }

        var name = UniqueName();
        var tmp = Path.Combine(maildir, "tmp", name);
        var target = Path.Combine(maildir, "new", name);
        try
        {
            await DurableFiles.WriteNewFileAsync(tmp, message, prefix, cancellationToken).ConfigureAwait(false);
            // Maildir: the rename publishes the complete message; fsync new/ so the name itself is durable.
            File.Move(tmp, target, overwrite: false);
            DurableFiles.SyncDirectory(Path.Combine(maildir, "new"));
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }

        return target;
    }

    /// <summary>True for names delivery may use as a folder: 1-64 ASCII letters and digits.</summary>
    public static bool IsSimpleFolderName(string folder) =>
        folder.Length is > 0 and <= 64 && folder.All(char.IsAsciiLetterOrDigit);

    private static void EnsureMaildir(string maildir)
    {
        foreach (var sub in (string[])["tmp", "new", "cur"])
        {
            DurableFiles.CreateDirectoryDurably(Path.Combine(maildir, sub));
        }
    }

    // Maildir: "time.unique.host" — seconds, then microseconds, pid and random bits so two deliveries in the
    // same microsecond, or by two processes, never collide.
    private string UniqueName()
    {
        var now = DateTimeOffset.UtcNow;
        var seconds = now.ToUnixTimeSeconds();
        var micros = (now.Ticks / 10) % 1_000_000;
        var random = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return string.Create(CultureInfo.InvariantCulture, $"{seconds}.M{micros}P{Environment.ProcessId}R{random}.{hostName}");
    }

    // Maildir: '/' and ':' in the host name are written as \057 and \072.
    private static string SafeHostName(string host) =>
        host.Replace("/", @"\057", StringComparison.Ordinal).Replace(":", @"\072", StringComparison.Ordinal);

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
