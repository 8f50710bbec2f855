namespace Keypost.Mail.Smtp;

/// <summary>
/// Counts the messages each account submitted in the last minute, over all its sessions, so a stolen
/// password cannot turn the server into a spam cannon.
/// </summary>
internal sealed class SubmissionRateLimiter(int messagesPerMinute, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _sent = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public bool IsAllowed(string account)
    {
        lock (_lock)
        {
            return !_sent.TryGetValue(account, out var times) || Prune(account, times) < messagesPerMinute;
        }
    }

    public void Record(string account)
    {
        lock (_lock)
        {
            if (!_sent.TryGetValue(account, out var times))
            {
                times = new Queue<DateTimeOffset>();
                _sent[account] = times;
            }

            times.Enqueue(time.GetUtcNow());
        }
    }

    private int Prune(string account, Queue<DateTimeOffset> times)
    {
        var cutoff = time.GetUtcNow() - Window;
        while (times.Count > 0 && times.Peek() <= cutoff)
        {
            times.Dequeue();
        }

        if (times.Count == 0)
        {
            _sent.Remove(account);
        }

        return times.Count;
    }
}
