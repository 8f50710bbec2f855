namespace Keypost.Transparency.Witness;

/// <summary>Per-origin token buckets read against a <see cref="TimeProvider"/>, so tests need no waiting.</summary>
internal sealed class RateLimiterPerLog(LogRateLimit limit, TimeProvider time)
{
    private readonly Dictionary<string, (double Tokens, DateTimeOffset At)> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public bool TryTake(string origin)
    {
        if (limit.PerMinute <= 0)
        {
            return true;
        }

        var now = time.GetUtcNow();
        var burst = Math.Max(1, limit.Burst);
        lock (_lock)
        {
            var (tokens, at) = _buckets.TryGetValue(origin, out var bucket) ? bucket : (burst, now);
            tokens = Math.Min(burst, tokens + (Math.Max(0, (now - at).TotalSeconds) * limit.PerMinute / 60.0));
            if (tokens < 1)
            {
                _buckets[origin] = (tokens, now);
                return false;
            }

            _buckets[origin] = (tokens - 1, now);
            return true;
        }
    }
}
