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
}
