using System.Net;
using Keypost.Server.Configuration;

namespace Keypost.LocalServe;

/// <summary>
/// What one domain on a one-machine bed is: its name and loopback address, which listeners it opens, what it
/// publishes in DNS and who has an account. A port of 0 means "any free port", null means "no such listener".
/// </summary>
public sealed record LocalDomainOptions
{
    public required string Name { get; init; }

    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The server's host name (greeting, Received, the MX target); <c>mail.NAME</c> when not set.</summary>
    public string? HostName { get; init; }

    /// <summary>WKD, the key directory and the log over HTTPS.</summary>
    public int? HttpsPort { get; init; }

    /// <summary>Port 25's role: mail from other domains, STARTTLS offered.</summary>
    public int? InboundPort { get; init; }

    /// <summary>Port 587's role: STARTTLS then AUTH.</summary>
    public int? SubmissionPort { get; init; }

    /// <summary>Port 993's role: IMAP over implicit TLS.</summary>
    public int? ImapsPort { get; init; }

    /// <summary>The operator's /healthz and /metrics listener (plain HTTP).</summary>
    public int? MetricsPort { get; init; }

    /// <summary>Where outbound delivery connects on the MX hosts; the inbound port when not set (every bed domain receives on one number).</summary>
    public int? DeliveryPort { get; init; }

    /// <summary>
    /// Publish A, MX, SPF, DMARC (reject) and the DKIM keys in the loopback DNS. Without them, SPF and DMARC
    /// questions about the domain answer NXDOMAIN at once.
    /// </summary>
    public bool PublishDns { get; init; } = true;

    public IReadOnlyList<int> RetryIntervalSeconds { get; init; } = [1];

    public IReadOnlyList<WitnessEndpointConfig> Witnesses { get; init; } = [];

    /// <summary>Accounts created before anyone connects: address to password.</summary>
    public IReadOnlyDictionary<string, string> Accounts { get; init; } = new Dictionary<string, string>();

    /// <summary>Anything else, applied last (at-rest encryption, metrics, drain time, log format ...).</summary>
    public Action<KeypostConfig>? Configure { get; init; }

    public string MailHost => HostName ?? "mail." + Name;

    /// <summary>
    /// These options on <paramref name="address"/> with HTTPS, inbound SMTP, submission and IMAPS on
    /// <paramref name="ports"/>: where a real domain listens, on the same four port numbers as every other bed domain.
    /// </summary>
    public LocalDomainOptions WithAllListeners(IPAddress address, LocalPorts ports) => this with
    {
        Address = address,
        HttpsPort = ports.Https,
        InboundPort = ports.Smtp,
        SubmissionPort = ports.Submission,
        ImapsPort = ports.Imaps,
    };

    /// <summary>These options with <paramref name="configure"/> applied after whatever they configure already.</summary>
    public LocalDomainOptions Then(Action<KeypostConfig> configure)
    {
        var before = Configure;
        return this with { Configure = config => { before?.Invoke(config); configure(config); } };
    }
}
