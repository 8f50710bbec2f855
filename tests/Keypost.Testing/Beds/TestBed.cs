using System.Net;
using Keypost.LocalServe;

namespace Keypost.Testing.Beds;

/// <summary>
/// In charge of the one test bed: a throw-away directory, a loopback DNS server and a local CA shared by every
/// domain started on it, in this process (<see cref="StartAsync"/>) or as a `keypost serve` child process
/// (<see cref="ServeAsync"/>); each domain is described once, by a <see cref="LocalDomainOptions"/>.
/// </summary>
public sealed class TestBed : IAsyncDisposable
{
    public const string LukePassword = "use-the-force";

    public const string LeiaPassword = "help-me-obi-wan";

    private readonly TempDirectory _directory;
    private readonly List<IAsyncDisposable> _running = [];

    private TestBed(TempDirectory directory, LoopbackDnsServer dns, LocalCertificateAuthority ca)
    {
        _directory = directory;
        Dns = dns;
        Ca = ca;
    }

    public LoopbackDnsServer Dns { get; }

    public LocalCertificateAuthority Ca { get; }

    public string Directory => _directory.Path;

    /// <summary>The CA's certificate (PEM), for clients and tools that must trust the bed's servers.</summary>
    public string CaFile => _directory.Combine("ca.crt");

    /// <summary>jedi.test on 127.0.0.1 (mail.jedi.test), no listeners yet, luke@jedi.test with <see cref="LukePassword"/>.</summary>
    public static LocalDomainOptions Jedi { get; } = new()
    {
        Name = "jedi.test",
        Accounts = new Dictionary<string, string> { ["luke@jedi.test"] = LukePassword },
    };

    /// <summary>rebel.test on 127.0.0.1 (mail.rebel.test), no listeners yet, leia@rebel.test with <see cref="LeiaPassword"/>.</summary>
    public static LocalDomainOptions Rebel { get; } = new()
    {
        Name = "rebel.test",
        Accounts = new Dictionary<string, string> { ["leia@rebel.test"] = LeiaPassword },
    };

    /// <summary>
    /// <see cref="Jedi"/> alone on 127.0.0.1 with inbound SMTP, submission and IMAPS on free ports and nothing in DNS
    /// (SPF and DMARC lookups end at once): a mail node to put messages into and read them back from.
    /// </summary>
    public static LocalDomainOptions Alone { get; } = Jedi with { InboundPort = 0, SubmissionPort = 0, ImapsPort = 0, PublishDns = false };

    /// <summary>
    /// <see cref="Jedi"/> as an operator runs it (host mx.jedi.test): inbound SMTP, the /healthz and /metrics
    /// listener, a 3-second drain and the JSON log; nothing in DNS, so SPF and DMARC lookups end at once.
    /// </summary>
    public static LocalDomainOptions Operated { get; } = Jedi with
    {
        HostName = "mx.jedi.test",
        InboundPort = 0,
        MetricsPort = 0,
        PublishDns = false,
        Configure = config =>
        {
            config.DrainSeconds = 3;
            config.Log.Format = "json";
        },
    };

    public static TestBed Create(string name = "keypost-bed")
    {
        var directory = new TempDirectory(name);
        var dns = new LoopbackDnsServer();
        var ca = LocalCertificateAuthority.Create("Keypost test bed CA");
        ca.WriteCertificatePem(directory.Combine("ca.crt"));
        return new TestBed(directory, dns, ca);
    }

    /// <summary>
    /// Two domains as the demo runs them: <see cref="Jedi"/> and <see cref="Rebel"/>, each on its own loopback
    /// address with HTTPS (WKD), inbound SMTP, submission and IMAPS on the same four port numbers, delivering to
    /// each other through the bed's DNS.
    /// </summary>
    /// <param name="httpsPort">A fixed HTTPS port (gpg's dirmngr only ever asks 443) instead of a free one.</param>
    public async Task<(LocalDomain Jedi, LocalDomain Rebel, LocalPorts Ports)> StartTwoDomainsAsync(
        string jediAddress = "127.0.0.10", string rebelAddress = "127.0.0.11", int? httpsPort = null, CancellationToken cancellationToken = default)
    {
        IPAddress jedi = IPAddress.Parse(jediAddress), rebel = IPAddress.Parse(rebelAddress);
        var rebelPublished = false;
        for (var attempt = 1; ; attempt++)
        {
            var free = LocalPorts.FindFree([jedi, rebel]);
            var ports = httpsPort is { } https ? free with { Https = https } : free;
            LocalDomain? first = null;
            try
            {
                // A domain's DNS records name no port: published once, they stay right when its ports are drawn again.
                first = await StartAsync(Jedi.WithAllListeners(jedi, ports) with { PublishDns = attempt == 1 }, cancellationToken);
                var publishRebel = !rebelPublished;
                rebelPublished = true;
                return (first, await StartAsync(Rebel.WithAllListeners(rebel, ports) with { PublishDns = publishRebel }, cancellationToken), ports);
            }
            catch (Exception e) when (attempt < 5 && LocalPorts.IsAddressInUse(e))
            {
                // Another test bound one of the ports between the check that found it free and our bind.
                if (first is not null)
                {
                    _running.Remove(first);
                    await first.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Starts the domain in this process; it stops with the bed.</summary>
    public async Task<LocalDomain> StartAsync(LocalDomainOptions options, CancellationToken cancellationToken = default)
    {
        var domain = await LocalDomain.StartAsync(options, Ca, Dns, Directory, cancellationToken);
        _running.Add(domain);
        return domain;
    }

    /// <summary>
    /// Writes the domain's configuration file, creates its accounts with `keypost user add` and starts
    /// `keypost serve --config FILE` as a child process, waiting until its inbound (else submission) listener
    /// greets; it is killed with the bed. The test project must reference Keypost.Cli (keypost.dll beside the tests).
    /// </summary>
    public async Task<ServedDomain> ServeAsync(
        LocalDomainOptions options, IReadOnlyList<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var config = await LocalDomain.ConfigureAsync(options, Ca, Dns, Directory, cancellationToken);
        var configPath = Path.Combine(Directory, options.Name, "keypost.json");
        config.Save(configPath);
        foreach (var (address, password) in options.Accounts)
        {
            var added = await KeypostCli.RunAsync(["user", "add", address, "--config", configPath], password + "\n");
            if (added.ExitCode != 0)
            {
                throw new InvalidOperationException($"keypost user add {address} failed: {added}");
            }
        }

        var probe = IPEndPoint.Parse(config.Mail.Inbound.Concat(config.Mail.Submission).FirstOrDefault()
            ?? throw new ArgumentException("a served domain needs an SMTP listener to probe", nameof(options)));
        var served = new ServedDomain(options, config, configPath, new KeypostServeProcess(configPath, probe, arguments, environment));
        _running.Add(served);
        await served.Server.StartAsync(TimeSpan.FromSeconds(30));
        return served;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _running.Count - 1; i >= 0; i--)
        {
            await _running[i].DisposeAsync();
        }

        Dns.Dispose();
        Ca.Dispose();
        _directory.Dispose();
    }
}
