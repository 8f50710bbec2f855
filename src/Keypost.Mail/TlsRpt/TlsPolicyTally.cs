namespace Keypost.Mail.TlsRpt;

/// <summary>RFC 8460 §4.3: one policy's summary (successes, failures) and its failure details, grouped as the report groups them.</summary>
public sealed class TlsPolicyTally(string policyType, IReadOnlyList<string> policyStrings)
{
    private readonly SortedSet<string> mxHosts = new(StringComparer.Ordinal);
    private readonly Dictionary<(string ResultType, string? Mx, string? Ip, string? Reason), int> failures = [];

    public string PolicyType { get; } = policyType;

    public IReadOnlyList<string> PolicyStrings { get; } = policyStrings;

    public IReadOnlyCollection<string> MxHosts => mxHosts;

    public int Successes { get; private set; }

    public int Failures { get; private set; }

    public IReadOnlyList<(string ResultType, string? ReceivingMx, string? ReceivingIp, string? Reason, int Count)> FailureDetails =>
        failures.Select(f => (f.Key.ResultType, f.Key.Mx, f.Key.Ip, f.Key.Reason, f.Value)).ToList();

    internal void Add(TlsSessionOutcome outcome)
    {
        if (outcome.MxHost is { } mx)
        {
            mxHosts.Add(mx);
        }

        if (outcome.ResultType is null)
        {
            Successes++;
            return;
        }

        Failures++;
        var key = (outcome.ResultType, outcome.MxHost, outcome.ReceivingIp, outcome.Reason);
        failures[key] = failures.GetValueOrDefault(key) + 1;
    }

    internal void Merge(TlsPolicyTally other)
    {
        Successes += other.Successes;
        Failures += other.Failures;
        mxHosts.UnionWith(other.mxHosts);
        foreach (var (key, count) in other.failures)
        {
            failures[key] = failures.GetValueOrDefault(key) + count;
        }
    }

    internal TlsPolicyTally Copy()
    {
        var copy = new TlsPolicyTally(PolicyType, PolicyStrings);
        copy.Merge(this);
        return copy;
    }
}
