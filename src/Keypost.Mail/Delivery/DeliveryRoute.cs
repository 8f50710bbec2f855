using System.Net;

namespace Keypost.Mail.Delivery;

/// <summary>Where to connect for a domain, in order, or why there is nowhere (with an RFC 3463 status).</summary>
internal sealed record DeliveryRoute(IReadOnlyList<(string Host, IPAddress Address)> Endpoints, DeliveryResultKind FailureKind, string Status, string Error)
{
    public bool HasEndpoints => Endpoints.Count > 0;

    public static DeliveryRoute To(IReadOnlyList<(string Host, IPAddress Address)> endpoints) =>
        new(endpoints, DeliveryResultKind.Delivered, "2.0.0", "");

    public static DeliveryRoute Permanent(string status, string error) => new([], DeliveryResultKind.Permanent, status, error);

    public static DeliveryRoute Temporary(string status, string error) => new([], DeliveryResultKind.Temporary, status, error);
}
