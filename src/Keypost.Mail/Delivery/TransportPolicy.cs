using Keypost.Mail.MtaSts;

namespace Keypost.Mail.Delivery;

/// <summary>
/// How a recipient domain must be reached: DANE per MX host where TLSA records are DNSSEC-secure (RFC 7672), else
/// the domain's MTA-STS policy (RFC 8461; DANE wins where both apply, §2), else opportunistic TLS.
/// </summary>
internal sealed class TransportPolicy(string domain, MtaStsPolicy? mtaSts, string? mtaStsFetchError, IReadOnlyDictionary<string, HostTlsPolicy> dane)
{
    public string Domain { get; } = domain;

    public MtaStsPolicy? MtaSts { get; } = mtaSts;

    public string? MtaStsFetchError { get; } = mtaStsFetchError;

    public static TransportPolicy None(string domain) => new(domain, null, null, new Dictionary<string, HostTlsPolicy>());

    /// <summary>True when no host of the domain may be reached without authenticated TLS.</summary>
    public bool RequiresTls => MtaSts?.Mode == MtaStsMode.Enforce || dane.Count > 0;

    public HostTlsPolicy For(string host)
    {
        if (dane.TryGetValue(host, out var policy))
        {
            return policy;
        }

        return MtaSts is { Mode: MtaStsMode.Enforce or MtaStsMode.Testing } ? HostTlsPolicy.MtaSts : HostTlsPolicy.Opportunistic;
    }
}
