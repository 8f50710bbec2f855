using System.Net;
using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.Mail.Dkim;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;
using Keypost.Store.Maildir;

namespace Keypost.LocalServe;

/// <summary>
/// In charge of one domain on a one-machine bed: turns <see cref="LocalDomainOptions"/> into a configuration, a
/// certificate from the local CA and DNS records, and runs it as a whole `keypost serve` in this process.
/// </summary>
public sealed class LocalDomain : IAsyncDisposable
{
    private LocalDomain(LocalDomainOptions options, KeypostConfig config, KeypostServer server)
    {
        Options = options;
        Config = config;
        Server = server;
    }

    public LocalDomainOptions Options { get; }

    public string Name => Options.Name;

    public IPAddress Address => Options.Address;

    public KeypostConfig Config { get; }

    public KeypostServer Server { get; private set; }

    public IPEndPoint Inbound => Listener(Config, Config.Mail.Inbound, "inbound SMTP");

    public IPEndPoint Submission => Listener(Config, Config.Mail.Submission, "submission");

    public IPEndPoint Imaps => Listener(Config, Config.Mail.ImapTls, "IMAPS");

    public static async Task<LocalDomain> StartAsync(
        LocalDomainOptions options, LocalCertificateAuthority ca, LoopbackDnsServer dns, string root, CancellationToken cancellationToken)
    {
        var config = await ConfigureAsync(options, ca, dns, root, cancellationToken);
        KeypostServer server;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                server = await KeypostServer.StartAsync(config, cancellationToken);
                break;
            }
            catch (Exception e) when (attempt < 5 && DrawsPorts(options) && LocalPorts.IsAddressInUse(e))
            {
                // A port found free was bound by someone else before we bound it: draw the free ports again (the
                // records in DNS name no port, so they stay as published).
                config = await ConfigureAsync(options with { PublishDns = false }, ca, dns, root, cancellationToken);
            }
        }

        var domain = new LocalDomain(options, config, server);
        try
        {
            foreach (var (address, password) in options.Accounts)
            {
                await domain.AddAccountAsync(EmailAddress.Parse(address), password, cancellationToken);
            }
        }
        catch
        {
            await domain.DisposeAsync();
            throw;
        }

        return domain;
    }

    /// <summary>
    /// Writes the domain's certificate under <c>ROOT/NAME</c>, publishes its DNS records and returns its
    /// configuration with every port chosen; nothing runs yet (a caller may save it for a `keypost serve` process).
    /// </summary>
    public static async Task<KeypostConfig> ConfigureAsync(
        LocalDomainOptions options, LocalCertificateAuthority ca, LoopbackDnsServer dns, string root, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(dns);
        var name = options.Name;
        var address = options.Address;
        var directory = Path.Combine(root, name);
        System.IO.Directory.CreateDirectory(directory);
        var certificate = Path.Combine(directory, "tls.crt");
        var key = Path.Combine(directory, "tls.key");
        using (var tls = ca.Issue([name, "openpgpkey." + name, options.MailHost, "localhost"], [address]))
        {
            ca.WriteServerPem(tls, certificate, key);
        }

        var inbound = Port(options.InboundPort, address);
        var config = new KeypostConfig
        {
            DataDirectory = Path.Combine(directory, "data"),
            Hostname = options.MailHost,
            Domains = [new DomainConfig { Name = name }],
            Http = options.HttpsPort is { } https
                ? new HttpConfig { Listen = [$"{address}:{Port(https, address)}"], CertificateFile = certificate, KeyFile = key }
                : new HttpConfig(),
            RateLimit = new RateLimitConfig { RequestsPerMinute = 0 },
            Metrics = new MetricsConfig { Listen = Listen(Port(options.MetricsPort, address), address) },
            Transparency = new TransparencyConfig { Witnesses = [.. options.Witnesses] },
            Mail = new MailConfig
            {
                Inbound = Listen(inbound, address),
                Submission = Listen(Port(options.SubmissionPort, address), address),
                ImapTls = Listen(Port(options.ImapsPort, address), address),
                CertificateFile = certificate,
                KeyFile = key,
                DnsServers = [dns.EndPoint.ToString()],
                RetryIntervalSeconds = [.. options.RetryIntervalSeconds],
            },
        };
        if ((options.DeliveryPort ?? inbound) is { } delivery)
        {
            config.Mail.DeliveryPort = delivery;
        }

        if (options.PublishDns)
        {
            // RFC 5321 §5.1, RFC 7208, RFC 6376 §3.6.2, RFC 7489 §6.1: what the domain publishes in DNS.
            dns.A(name, address.ToString()).A("openpgpkey." + name, address.ToString()).A(options.MailHost, address.ToString())
                .Mx(name, 10, options.MailHost)
                .Txt(name, "v=spf1 ip4:127.0.0.0/8 -all")
                .Txt("_dmarc." + name, "v=DMARC1; p=reject; adkim=s; aspf=s");
            foreach (var dkim in (await new DkimKeyStore(config.DkimDirectory).GetOrCreateAsync(name, cancellationToken)).All)
            {
                dns.Txt(dkim.DnsName, dkim.TxtRecord);
            }
        }

        options.Configure?.Invoke(config);
        return config;
    }

    /// <summary>A clean stop and a fresh start on the same configuration: the queue and mailboxes are reopened from disk.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        await Server.DisposeAsync();
        Server = await KeypostServer.StartAsync(Config, cancellationToken);
    }

    public Task AddAccountAsync(EmailAddress address, string password, CancellationToken cancellationToken) =>
        Server.Store.SetPasswordHashAsync(address, new PasswordHasher().Hash(password), cancellationToken);

    public string MaildirOf(EmailAddress address) => new MaildirStore(Config.MailDirectory).GetMaildirPath(address);

    /// <summary>Every queued recipient's state and last error, one a line (for a failure message or a demo's note).</summary>
    public async Task<string> DescribeQueueAsync(CancellationToken cancellationToken)
    {
        var messages = Server.Mail is { } mail ? await mail.Queue.ListAsync(cancellationToken) : [];
        return messages.Count == 0
            ? $"({Name} queue empty)"
            : string.Join('\n', messages.SelectMany(m => m.Recipients.Select(r => $"{m.Id} {r.Address} {r.State} attempts={r.Attempts} {r.LastError}")));
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private static bool DrawsPorts(LocalDomainOptions options) =>
        new[] { options.HttpsPort, options.InboundPort, options.SubmissionPort, options.ImapsPort, options.MetricsPort }.Contains(0);

    private static int? Port(int? port, IPAddress address) => port == 0 ? LocalPorts.Free([address]) : port;

    private static List<string> Listen(int? port, IPAddress address) => port is { } p ? [$"{address}:{p}"] : [];

    /// <summary>The first address of a listener the domain was configured with.</summary>
    public static IPEndPoint Listener(KeypostConfig config, IReadOnlyList<string> listen, string what) => listen.Count > 0
        ? IPEndPoint.Parse(listen[0])
        : throw new InvalidOperationException($"{config.Domains[0].Name} has no {what} listener");
}
