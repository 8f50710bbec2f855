using System.Collections.Concurrent;

namespace Keypost.Store.Maildir;

/// <summary>One <see cref="MaildirMailbox"/> per folder path in this process, shared by all sessions.</summary>
internal sealed class MailboxRegistry : IDisposable
{
    private readonly ConcurrentDictionary<string, MaildirMailbox> _mailboxes = new(StringComparer.Ordinal);

    /// <summary>The shared state of the folder at <paramref name="path"/>, a mailbox of the account whose Maildir is <paramref name="accountMaildir"/>.</summary>
    public MaildirMailbox Get(string path, string accountMaildir) =>
        _mailboxes.GetOrAdd(path, static (p, account) => new MaildirMailbox(p, account), accountMaildir);

    /// <summary>The shared state of a folder when some session has it open, else null (nothing to tell).</summary>
    public MaildirMailbox? Find(string path) => _mailboxes.GetValueOrDefault(path);

    /// <summary>Drops the shared state of a deleted or renamed folder (and its children).</summary>
    public void Forget(string path)
    {
        foreach (var key in _mailboxes.Keys)
        {
            if (key == path || key.StartsWith(path + ".", StringComparison.Ordinal))
            {
                if (_mailboxes.TryRemove(key, out var gone))
                {
                    gone.Dispose();
                }
            }
        }
    }

    /// <summary>Closes every mailbox (a clean shutdown: each large one leaves its flag snapshot first).</summary>
    public void Dispose()
    {
        List<Exception>? failures = null;
        foreach (var mailbox in _mailboxes.Values)
        {
            try
            {
                mailbox.SaveFlagSnapshot();
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // The snapshot only saves time at the next start; the others still close, and the failure is reported.
                (failures ??= []).Add(e);
            }
            finally
            {
                mailbox.Dispose();
            }
        }

        _mailboxes.Clear();
        if (failures is not null)
        {
            throw new AggregateException("saving the flag snapshot of a mailbox failed", failures);
        }
    }
}
