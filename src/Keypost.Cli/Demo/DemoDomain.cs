using System.Net;
using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dns;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Server.Tls;

namespace Keypost.Cli.Demo;

/// <summary>One demo domain: a whole `keypost serve` (WKD, SMTP, IMAP) on its own loopback address, in DNS.</summary>
public sealed class DemoDomain : IAsyncDisposable
{
    private DemoDomain(string name, IPAddress address, KeypostServer server, KeypostConfig config)
    {
        Name = name;
        Address = address;
        Server = server;
        Config = config;
    }

    public string Name { get; }

    public IPAddress Address { get; }

    public KeypostServer Server { get; }

    public KeypostConfig Config { get; }

    public static Task<DemoDomain> StartAsync(
        string name, IPAddress address, DemoPorts ports, LocalCertificateAuthority ca, LoopbackDnsServer dns, string root, CancellationToken cancellationToken) =>
        StartAsync(name, address, ports, ca, dns, root, [], cancellationToken);

    public static async Task<DemoDomain> StartAsync(
        string name, IPAddress address, DemoPorts ports, LocalCertificateAuthority ca, LoopbackDnsServer dns, string root,
        IReadOnlyList<WitnessEndpointConfig> witnesses, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(root, name);
        System.IO.Directory.CreateDirectory(directory);
        var mailHost = "mail." + name;
        using (var tls = ca.Issue([name, "openpgpkey." + name, mailHost], [address]))
        {
            ca.WriteServerPem(tls, Path.Combine(directory, "tls.crt"), Path.Combine(directory, "tls.key"));
        }

        var config = new KeypostConfig
        {
            DataDirectory = Path.Combine(directory, "data"),
            Hostname = mailHost,
            Domains = [new DomainConfig { Name = name }],
            Http = new HttpConfig { Listen = [$"{address}:{ports.Https}"], CertificateFile = Path.Combine(directory, "tls.crt"), KeyFile = Path.Combine(directory, "tls.key") },
            RateLimit = new RateLimitConfig { RequestsPerMinute = 0 },
            Transparency = new TransparencyConfig { Witnesses = [.. witnesses] },
            Mail = new MailConfig
            {
                Inbound = [$"{address}:{ports.Smtp}"],
                Submission = [$"{address}:{ports.Submission}"],
                ImapTls = [$"{address}:{ports.Imaps}"],
                DnsServers = [dns.EndPoint.ToString()],
                DeliveryPort = ports.Smtp,
                RetryIntervalSeconds = [1],
            },
        };

        // RFC 5321 §5.1, RFC 7208, RFC 6376 §3.6.2, RFC 7489 §6.1: what the domain publishes in DNS.
        dns.A(name, address.ToString()).A("openpgpkey." + name, address.ToString()).A(mailHost, address.ToString())
            .Mx(name, 10, mailHost)
            .Txt(name, "v=spf1 ip4:127.0.0.0/8 -all")
            .Txt("_dmarc." + name, "v=DMARC1; p=reject; adkim=s; aspf=s");
        foreach (var key in (await new DkimKeyStore(config.DkimDirectory).GetOrCreateAsync(name, cancellationToken)).All)
        {
            dns.Txt(key.DnsName, key.TxtRecord);
        }

        var server = await KeypostServer.StartAsync(config, cancellationToken);
        return new DemoDomain(name, address, server, config);
    }

    public Task AddAccountAsync(EmailAddress address, string password, CancellationToken cancellationToken) =>
        Server.Store.SetPasswordHashAsync(address, new PasswordHasher().Hash(password), cancellationToken);

    public string MaildirOf(EmailAddress address) =>
        Path.Combine(Config.MailDirectory, address.Domain, address.LocalPart.ToLowerInvariant(), "Maildir");

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
