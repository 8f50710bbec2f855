using Keypost.Mail.Dane;

namespace Keypost.Mail.Delivery;

/// <summary>The TLS policy for one MX host: the requirement, the TLSA records for DANE, and why (for logs and DSNs).</summary>
internal sealed record HostTlsPolicy(HostTlsRequirement Requirement, IReadOnlyList<TlsaAssociation> Tlsa, string? Error = null)
{
    public static readonly HostTlsPolicy Opportunistic = new(HostTlsRequirement.Opportunistic, []);

    public static readonly HostTlsPolicy MtaSts = new(HostTlsRequirement.MtaSts, []);
}
