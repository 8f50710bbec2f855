namespace Keypost.Core.Abuse;

/// <summary>
/// Counters that several nodes share (docs/postgres.md), so that a client spread over the nodes gets one budget:
/// one count per (scope, key) in fixed windows of the given length on the store's clock. Implementations do not
/// throw for an unreachable store: they log it and answer 0, so that an outage of the counters never takes the
/// mail service down with it (the node's own limits still hold).
/// </summary>
public interface ISharedAbuseCounters
{
    /// <summary>Adds one to the current window's count of (scope, key) and returns the count, this one included.</summary>
    Task<long> IncrementAsync(string scope, string key, TimeSpan window, CancellationToken cancellationToken);

    /// <summary>The current window's count of (scope, key), 0 when nothing was counted.</summary>
    Task<long> ReadAsync(string scope, string key, TimeSpan window, CancellationToken cancellationToken);
}
