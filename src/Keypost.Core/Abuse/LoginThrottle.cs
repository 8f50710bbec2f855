using System.Net;

namespace Keypost.Core.Abuse;

/// <summary>
/// In charge of abuse limits shared by the listeners: login failures per address and account, and connection admission.
/// Failed logins counted per client address and per account across sessions (SMTP AUTH and IMAP LOGIN/AUTHENTICATE:
/// one instance shared by every listener of a host). Each failure is answered after a pause that doubles with the
/// failures of the address or the account, whichever is more; an address that fails too often is blocked for a
/// while and is refused without a password check. An account is never blocked, only slowed on failure, so a
/// guesser elsewhere cannot lock its owner out: the right password from an unblocked address always works at once.
/// Thread-safe; bounded by <see cref="LoginThrottleOptions.MaxEntries"/>.
/// </summary>
public sealed class LoginThrottle
{
    private readonly LoginThrottleOptions _options;
    private readonly TimeProvider _time;
    private readonly ISharedAbuseCounters? _shared;
    private readonly Dictionary<IPAddress, Entry> _addresses = [];
    private readonly Dictionary<string, Entry> _accounts = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <param name="shared">
    /// Counters the nodes share: an address's failures are then counted across every node (per fixed window of
    /// <see cref="LoginThrottleOptions.Window"/>), and an address blocked on one node is refused by all. Accounts'
    /// failures (the delay) stay per node.
    /// </param>
    public LoginThrottle(LoginThrottleOptions options, TimeProvider time, ISharedAbuseCounters? shared = null)
    {
        _shared = shared;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (options.AddressBlockThreshold <= 0 || options.MaxEntries <= 0 || options.Window <= TimeSpan.Zero
            || options.BaseDelay < TimeSpan.Zero || options.MaxDelay < options.BaseDelay || options.BlockDuration < TimeSpan.Zero)
        {
            throw new ArgumentException("login throttle limits must be positive, and MaxDelay at least BaseDelay", nameof(options));
        }

        _options = options;
        _time = time;
    }

    public LoginThrottleOptions Options => _options;

    /// <summary>Addresses and accounts remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _addresses.Count + _accounts.Count;
            }
        }
    }

    /// <summary>Addresses blocked now (a gauge for the metrics endpoint).</summary>
    public int BlockedAddresses
    {
        get
        {
            var now = _time.GetUtcNow();
            lock (_lock)
            {
                return _addresses.Values.Count(e => e.BlockedUntil > now);
            }
        }
    }

    /// <summary>When <paramref name="address"/> is blocked, how long it still is; otherwise null.</summary>
    public TimeSpan? BlockedFor(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            return _addresses.TryGetValue(Normalise(address), out var entry) && entry.BlockedUntil > now ? entry.BlockedUntil - now : null;
        }
    }

    /// <summary>
    /// As <see cref="BlockedFor"/>, and with shared counters also blocked when the address's failures on all nodes
    /// together reached the threshold in the current window (it is then blocked here too, for the block's length).
    /// </summary>
    public async Task<TimeSpan?> BlockedForAsync(IPAddress address, CancellationToken cancellationToken)
    {
        var local = BlockedFor(address);
        if (local is not null || _shared is null)
        {
            return local;
        }

        var failures = await _shared.ReadAsync(Scope, Normalise(address).ToString(), _options.Window, cancellationToken).ConfigureAwait(false);
        if (failures < _options.AddressBlockThreshold)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var key = Normalise(address);
        lock (_lock)
        {
            if (!_addresses.TryGetValue(key, out var entry))
            {
                MakeRoom(_addresses, now);
                entry = new Entry { WindowStart = now, LastFailure = now };
                _addresses[key] = entry;
            }

            entry.Failures = (int)Math.Max(entry.Failures, Math.Min(failures, int.MaxValue));
            entry.BlockedUntil = now + _options.BlockDuration;
        }

        return _options.BlockDuration;
    }

    /// <summary>As <see cref="RecordFailure"/>, counting the address's failure on every node with shared counters.</summary>
    public async Task<LoginFailureVerdict> RecordFailureAsync(IPAddress address, string? account, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        var shared = _shared is null ? 0 : await _shared.IncrementAsync(Scope, Normalise(address).ToString(), _options.Window, cancellationToken).ConfigureAwait(false);
        return Record(address, account, shared);
    }

    /// <summary>Counts a failed login of <paramref name="account"/> (as typed; null when none was given) from <paramref name="address"/>.</summary>
    public LoginFailureVerdict RecordFailure(IPAddress address, string? account) => Record(address, account, 0);

    private const string Scope = "login";

    private LoginFailureVerdict Record(IPAddress address, string? account, long sharedFailures)
    {
        ArgumentNullException.ThrowIfNull(address);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var byAddress = Bump(_addresses, Normalise(address), now);
            byAddress.Failures = (int)Math.Max(byAddress.Failures, Math.Min(sharedFailures, int.MaxValue));
            var byAccount = string.IsNullOrEmpty(account) ? 0 : Bump(_accounts, account, now).Failures;
            if (byAddress.Failures >= _options.AddressBlockThreshold && byAddress.BlockedUntil <= now)
            {
                byAddress.BlockedUntil = now + _options.BlockDuration;
            }

            return new LoginFailureVerdict(DelayFor(Math.Max(byAddress.Failures, byAccount)), byAddress.BlockedUntil > now, byAddress.Failures, byAccount);
        }
    }

    /// <summary>
    /// A successful login forgets the account's failures (its owner is back); the address keeps its count, or one
    /// known password would let a guesser reset its own limit.
    /// </summary>
    public void RecordSuccess(string account)
    {
        ArgumentNullException.ThrowIfNull(account);
        lock (_lock)
        {
            _accounts.Remove(account);
        }
    }

    private Entry Bump<TKey>(Dictionary<TKey, Entry> entries, TKey key, DateTimeOffset now)
        where TKey : notnull
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            MakeRoom(entries, now);
            entry = new Entry { WindowStart = now };
            entries[key] = entry;
        }
        else if (now - entry.WindowStart >= _options.Window && entry.BlockedUntil <= now)
        {
            entry.WindowStart = now;
            entry.Failures = 0;
        }

        entry.Failures++;
        entry.LastFailure = now;
        return entry;
    }

    private void MakeRoom<TKey>(Dictionary<TKey, Entry> entries, DateTimeOffset now)
        where TKey : notnull
    {
        if (entries.Count < _options.MaxEntries)
        {
            return;
        }

        foreach (var stale in entries.Where(e => now - e.Value.WindowStart >= _options.Window && e.Value.BlockedUntil <= now).Select(e => e.Key).ToList())
        {
            entries.Remove(stale);
        }

        // Still full of live entries: forget the one quiet for longest rather than grow.
        if (entries.Count >= _options.MaxEntries)
        {
            entries.Remove(entries.MinBy(e => e.Value.LastFailure).Key);
        }
    }

    private TimeSpan DelayFor(int failures)
    {
        var doublings = Math.Min(failures - 1, 20);
        var ticks = Math.Min(_options.BaseDelay.Ticks * (1L << doublings), _options.MaxDelay.Ticks);
        return TimeSpan.FromTicks(Math.Max(ticks, 0));
    }

    // An IPv4 client seen through a dual-stack socket is the same client.
    private static IPAddress Normalise(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class Entry
    {
        public int Failures { get; set; }

        public DateTimeOffset WindowStart { get; set; }

        public DateTimeOffset LastFailure { get; set; }

        public DateTimeOffset BlockedUntil { get; set; } = DateTimeOffset.MinValue;
    }
}
