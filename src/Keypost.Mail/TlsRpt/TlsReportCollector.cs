using System.Collections.Concurrent;

namespace Keypost.Mail.TlsRpt;

/// <summary>
/// Counts outbound TLS sessions per UTC day, recipient domain and policy (RFC 8460 §4), to be reported daily by
/// <see cref="TlsReportSender"/>. Kept in memory: counts since the last report are lost on restart.
/// </summary>
public sealed class TlsReportCollector(TimeProvider time)
{
    private readonly ConcurrentDictionary<(DateOnly Day, string Domain), DomainTally> tallies = new();

    public void Record(TlsSessionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var day = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        tallies.GetOrAdd((day, outcome.PolicyDomain.ToLowerInvariant()), _ => new DomainTally()).Add(outcome);
    }

    /// <summary>What was counted for <paramref name="domain"/> on <paramref name="day"/> so far (for tests and diagnostics).</summary>
    public IReadOnlyList<TlsPolicyTally> Peek(DateOnly day, string domain) =>
        tallies.TryGetValue((day, domain.ToLowerInvariant()), out var tally) ? tally.Snapshot() : [];

    /// <summary>Takes (removes) every day before <paramref name="today"/>: what the daily report sends.</summary>
    public IReadOnlyList<(DateOnly Day, string Domain, IReadOnlyList<TlsPolicyTally> Policies)> TakeBefore(DateOnly today)
    {
        var taken = new List<(DateOnly, string, IReadOnlyList<TlsPolicyTally>)>();
        foreach (var key in tallies.Keys.Where(k => k.Day < today).ToList())
        {
            if (tallies.TryRemove(key, out var tally))
            {
                taken.Add((key.Day, key.Domain, tally.Snapshot()));
            }
        }

        return taken;
    }

    /// <summary>Puts back what could not be sent, so the next run tries again.</summary>
    public void Restore(DateOnly day, string domain, IReadOnlyList<TlsPolicyTally> policies)
    {
        var tally = tallies.GetOrAdd((day, domain), _ => new DomainTally());
        tally.Merge(policies);
    }

    private sealed class DomainTally
    {
        private readonly Lock gate = new();
        private readonly Dictionary<string, TlsPolicyTally> policies = new(StringComparer.Ordinal);

        public void Add(TlsSessionOutcome outcome)
        {
            var key = outcome.PolicyType + "\n" + string.Join("\n", outcome.PolicyStrings);
            lock (gate)
            {
                if (!policies.TryGetValue(key, out var tally))
                {
                    tally = new TlsPolicyTally(outcome.PolicyType, outcome.PolicyStrings);
                    policies[key] = tally;
                }

                tally.Add(outcome);
            }
        }

        public void Merge(IReadOnlyList<TlsPolicyTally> others)
        {
            lock (gate)
            {
                foreach (var other in others)
                {
                    var key = other.PolicyType + "\n" + string.Join("\n", other.PolicyStrings);
                    if (!policies.TryGetValue(key, out var tally))
                    {
                        policies[key] = other;
                        continue;
                    }

                    tally.Merge(other);
                }
            }
        }

        public IReadOnlyList<TlsPolicyTally> Snapshot()
        {
            lock (gate)
            {
                return policies.Values.Select(p => p.Copy()).ToList();
            }
        }
    }
}
