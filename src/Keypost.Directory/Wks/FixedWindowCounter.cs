namespace Keypost.Directory.Wks;

/// <summary>
/// Counts events per key in fixed windows (one minute, one hour ...): enough to stop a flood, cheap, and owned by
/// one service instance. The table is bounded: when it grows past <see cref="MaxKeys"/> expired windows are dropped.
/// </summary>
internal sealed class FixedWindowCounter(TimeSpan window, int limit, TimeProvider clock)
{
    public const int MaxKeys = 100_000;

    private readonly Dictionary<string, (DateTimeOffset Start, int Count)> _windows = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Counts one event; false (and not counted) when the key's window is already full.</summary>
    public bool TryTake(string key)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_windows.Count >= MaxKeys)
            {
                foreach (var stale in _windows.Where(w => now - w.Value.Start >= window).Select(w => w.Key).ToList())
                {
                    _windows.Remove(stale);
                }
            }

            var current = _windows.GetValueOrDefault(key);
            if (current.Count == 0 || now - current.Start >= window)
            {
                current = (now, 0);
            }

            if (current.Count >= limit)
            {
                return false;
            }

            _windows[key] = (current.Start, current.Count + 1);
            return true;
        }
    }
}
