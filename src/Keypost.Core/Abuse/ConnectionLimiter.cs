using System.Net;

namespace Keypost.Core.Abuse;

/// <summary>
/// Per client address limits on connections, after Postfix's anvil (smtpd_client_connection_count_limit and
/// smtpd_client_connection_rate_limit over a 60 s anvil_rate_time_unit): how many one address holds open at once,
/// and how many it may open per minute. Every attempt counts toward the rate, refused ones too, so a client that
/// keeps hammering stays refused until it pauses. One instance per listener (SMTP and IMAP have their own limits).
/// Thread-safe; the table holds only addresses connected now or seen within the current minute, at most
/// <c>maxEntries</c> of them.
/// </summary>
public sealed class ConnectionLimiter
{
    private static readonly TimeSpan RateUnit = TimeSpan.FromMinutes(1);

    private readonly int _maxOpen;
    private readonly int _perMinute;
    private readonly int _maxEntries;
    private readonly TimeProvider _time;
    private readonly ISharedAbuseCounters? _shared;
    private readonly string _scope;
    private readonly Dictionary<IPAddress, Entry> _entries = [];
    private readonly Lock _lock = new();
    private long _refusedTooMany;
    private long _refusedTooFast;

    /// <param name="maxOpenPerAddress">Connections one address may hold at once.</param>
    /// <param name="connectionsPerMinute">Connections one address may open per minute; 0 means no rate limit.</param>
    /// <param name="shared">
    /// Counters the nodes share: the rate is then counted across every node (per fixed minute), so a client spread
    /// over N nodes does not get N budgets. The open connections stay counted per node.
    /// </param>
    /// <param name="scope">The protocol the shared counts are kept under ("smtp", "imap").</param>
    public ConnectionLimiter(int maxOpenPerAddress, int connectionsPerMinute, TimeProvider time, int maxEntries = 100_000, ISharedAbuseCounters? shared = null, string scope = "connections")
    {
        _shared = shared;
        _scope = scope;
        ArgumentNullException.ThrowIfNull(time);
        if (maxOpenPerAddress <= 0 || connectionsPerMinute < 0 || maxEntries <= 0)
        {
            throw new ArgumentException("connection limits must be positive (the rate may be 0: unlimited)");
        }

        _maxOpen = maxOpenPerAddress;
        _perMinute = connectionsPerMinute;
        _maxEntries = maxEntries;
        _time = time;
    }

    public int MaxOpenPerAddress => _maxOpen;

    /// <summary>Connections one address may open per minute; 0: no limit.</summary>
    public int ConnectionsPerMinute => _perMinute;

    /// <summary>Connections refused so far because their address held too many.</summary>
    public long RefusedTooMany => Interlocked.Read(ref _refusedTooMany);

    /// <summary>Connections refused so far because their address opened too many in a minute.</summary>
    public long RefusedTooFast => Interlocked.Read(ref _refusedTooFast);

    /// <summary>Addresses remembered now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Connections <paramref name="address"/> holds open now.</summary>
    public int OpenFrom(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        lock (_lock)
        {
            return _entries.TryGetValue(Normalise(address), out var entry) ? entry.Open : 0;
        }
    }

    /// <summary>
    /// As <see cref="TryEnter"/>, with the rate counted across the nodes when the limiter has shared counters: the
    /// attempt is added to the address's count of the current minute in the shared store first.
    /// </summary>
    public async Task<ConnectionAdmission> TryEnterAsync(IPAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_shared is null || _perMinute == 0)
        {
            return TryEnter(address);
        }

        var attempts = await _shared.IncrementAsync(_scope, Normalise(address).ToString(), RateUnit, cancellationToken).ConfigureAwait(false);
        return Admit(address, sharedAttempts: attempts);
    }

    /// <summary>Counts a new connection from <paramref name="address"/>; only an admitted one holds a place until <see cref="Leave"/>.</summary>
    public ConnectionAdmission TryEnter(IPAddress address) => Admit(address, sharedAttempts: null);

    private ConnectionAdmission Admit(IPAddress address, long? sharedAttempts)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = Normalise(address);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(address, out var entry))
            {
                MakeRoom(now);
                entry = new Entry { WindowStart = now };
                _entries[address] = entry;
            }
            else if (now - entry.WindowStart >= RateUnit)
            {
                entry.WindowStart = now;
                entry.Attempts = 0;
            }

            entry.Attempts++;
            if (_perMinute > 0 && Math.Max(entry.Attempts, sharedAttempts ?? 0) > _perMinute)
            {
                Interlocked.Increment(ref _refusedTooFast);
                return ConnectionAdmission.TooFast;
            }

            if (entry.Open >= _maxOpen)
            {
                Interlocked.Increment(ref _refusedTooMany);
                return ConnectionAdmission.TooManyOpen;
            }

            entry.Open++;
            return ConnectionAdmission.Admitted;
        }
    }

    /// <summary>Ends a connection that <see cref="TryEnter"/> admitted.</summary>
    public void Leave(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        address = Normalise(address);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(address, out var entry))
            {
                return;
            }

            entry.Open = Math.Max(entry.Open - 1, 0);
            // With no rate limit nothing is learnt from a closed address: forget it at once.
            if (entry.Open == 0 && (_perMinute == 0 || now - entry.WindowStart >= RateUnit))
            {
                _entries.Remove(address);
            }
        }
    }

    private void MakeRoom(DateTimeOffset now)
    {
        if (_entries.Count < _maxEntries)
        {
            return;
        }

        foreach (var stale in _entries.Where(e => e.Value.Open == 0 && now - e.Value.WindowStart >= RateUnit).Select(e => e.Key).ToList())
        {
            _entries.Remove(stale);
        }

        // Still full: forget the idle address whose minute began longest ago (its rate count is lost, never its open count).
        if (_entries.Count >= _maxEntries && _entries.Where(e => e.Value.Open == 0).Select(e => (KeyValuePair<IPAddress, Entry>?)e).MinBy(e => e!.Value.Value.WindowStart) is { } oldest)
        {
            _entries.Remove(oldest.Key);
        }
    }

    // An IPv4 client seen through a dual-stack socket is the same client.
    private static IPAddress Normalise(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed class Entry
    {
        public int Open { get; set; }

        public int Attempts { get; set; }

        public DateTimeOffset WindowStart { get; set; }
    }
}
