using System.Net;

namespace Keypost.Mail.Delivery;

/// <summary>
/// Where to connect for a domain, in order, or why there is nowhere (with an RFC 3463 status). The hosts whose MX
/// and address answers were DNSSEC-secure are named: only they may use DANE (RFC 7672 §2.2.1, §2.2.2).
/// </summary>
internal sealed record DeliveryRoute(IReadOnlyList<(string Host, IPAddress Address)> Endpoints, DeliveryResultKind FailureKind, string Status, string Error)
{
    public bool HasEndpoints => Endpoints.Count > 0;

    public IReadOnlySet<string> SecureHosts { get; init; } = new HashSet<string>();

    public static DeliveryRoute To(IReadOnlyList<(string Host, IPAddress Address)> endpoints, IReadOnlySet<string> secureHosts) =>
        new(endpoints, DeliveryResultKind.Delivered, "2.0.0", "") { SecureHosts = secureHosts };

    public static DeliveryRoute Permanent(string status, string error) => new([], DeliveryResultKind.Permanent, status, error);

    public static DeliveryRoute Temporary(string status, string error) => new([], DeliveryResultKind.Temporary, status, error);
}
