using System.Threading.RateLimiting;

namespace Keypost.Mail.Smtp;

/// <summary>
/// Counts the messages each account submitted in the last minute, over all its sessions, so a stolen
/// password cannot turn the server into a spam cannon. A sliding window per account (System.Threading.RateLimiting,
/// which also forgets idle accounts); only accepted messages use up the allowance.
/// </summary>
internal sealed class SubmissionRateLimiter : IDisposable
{
    // Twelve five-second segments: the window slides close enough to "the last minute".
    private const int Segments = 12;

    private readonly PartitionedRateLimiter<string> _limiter;

    public SubmissionRateLimiter(int messagesPerMinute)
    {
        _limiter = PartitionedRateLimiter.Create<string, string>(
            account => RateLimitPartition.GetSlidingWindowLimiter(account, _ => new SlidingWindowRateLimiterOptions
            {
                PermitLimit = messagesPerMinute,
                Window = TimeSpan.FromMinutes(1),
                SegmentsPerWindow = Segments,
                QueueLimit = 0,
                AutoReplenishment = true,
            }),
            StringComparer.Ordinal);
    }

    /// <summary>Whether the account may start another message now (checked at MAIL FROM).</summary>
    public bool IsAllowed(string account) => _limiter.GetStatistics(account) is not { CurrentAvailablePermits: <= 0 };

    /// <summary>Uses up one message of the account's allowance (once a message is accepted).</summary>
    public void Record(string account)
    {
        using var lease = _limiter.AttemptAcquire(account);
    }

    public void Dispose() => _limiter.Dispose();
}
