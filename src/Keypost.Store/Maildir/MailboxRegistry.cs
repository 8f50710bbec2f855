using System.Collections.Concurrent;

namespace Keypost.Store.Maildir;

/// <summary>One <see cref="MaildirMailbox"/> per folder path in this process, shared by all sessions.</summary>
internal sealed class MailboxRegistry
{
    private readonly ConcurrentDictionary<string, MaildirMailbox> _mailboxes = new(StringComparer.Ordinal);

    public MaildirMailbox Get(string path) => _mailboxes.GetOrAdd(path, p => new MaildirMailbox(p));

    /// <summary>Drops the shared state of a deleted or renamed folder (and its children).</summary>
    public void Forget(string path)
    {
        foreach (var key in _mailboxes.Keys)
        {
            if (key == path || key.StartsWith(path + ".", StringComparison.Ordinal))
            {
                _mailboxes.TryRemove(key, out _);
            }
        }
    }
}
