using System.Net;

namespace Keypost.Mail.Dns;

public sealed class MailDnsResolverOptions
{
    /// <summary>Recursive resolvers to ask (IP and port). Empty: the system's resolvers.</summary>
    public IReadOnlyList<IPEndPoint> NameServers { get; init; } = [];

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    public int Retries { get; init; } = 2;

    /// <summary>Cache answers for their TTL. Off in tests that change a zone between questions.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// The resolvers in <see cref="NameServers"/> validate DNSSEC and the path to them is trusted (loopback or
    /// otherwise protected), so their AD bit is believed (RFC 6698 §4.1, RFC 7672 §2.1.1). Only then is DANE used;
    /// off, every answer counts as insecure and DANE never applies.
    /// </summary>
    public bool TrustAuthenticatedData { get; init; }
}
