using System.Net;
using Keypost.Client;
using Keypost.Client.Contacts;
using Keypost.Client.Discovery;
using Keypost.Client.Reading;
using Keypost.Client.Sending;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.Policy;
using Keypost.Directory.Publishing;
using Keypost.LocalServe;
using Keypost.Mail.Dns;
using Keypost.Testing.Beds;
using Keypost.Testing;

namespace Keypost.Interop.Tests.EndToEnd;

/// <summary>
/// The demo's world for one test: jedi.test and rebel.test as real in-process servers on one <see cref="TestBed"/>, a DNS server,
/// a CA, Luke's and Leia's keys published. Optionally rebel.test's delivery to jedi.test runs through a
/// <see cref="SmtpRecordingRelay"/> that records the hop and strips STARTTLS, so the recorded bytes are what an
/// active attacker on that path would read.
/// </summary>
public sealed class TwoDomainStory : IAsyncDisposable
{
    public const string LukePassword = "luke-e2e-password";
    public const string LeiaPassword = "leia-e2e-password";

    private readonly TestBed bed;

    private TwoDomainStory(TestBed bed, LocalPorts ports)
    {
        this.bed = bed;
        Ports = ports;
        Resolver = new MailDnsResolver(new MailDnsResolverOptions { NameServers = [bed.Dns.EndPoint], UseCache = false });
    }

    public static EmailAddress Luke { get; } = EmailAddress.Parse("luke@jedi.test");

    public static EmailAddress Leia { get; } = EmailAddress.Parse("leia@rebel.test");

    public LoopbackDnsServer Dns => bed.Dns;

    public MailDnsResolver Resolver { get; }

    public LocalCertificateAuthority Ca => bed.Ca;

    public LocalPorts Ports { get; }

    public LocalDomain Jedi { get; private set; } = null!;

    public LocalDomain Rebel { get; private set; } = null!;

    public SmtpRecordingRelay? Relay { get; private set; }

    public SecretKey LukeKey { get; private set; } = null!;

    public SecretKey LeiaKey { get; private set; } = null!;

    public string Root => bed.Directory;

    public static async Task<TwoDomainStory> StartAsync(bool throughRelay, CancellationToken cancellationToken)
    {
        var jediAddress = IPAddress.Parse("127.0.0.10");
        var rebelAddress = IPAddress.Parse("127.0.0.11");
        var ports = LocalPorts.FindFree([jediAddress, rebelAddress]);
        var story = new TwoDomainStory(TestBed.Create("keypost-e2e"), ports);
        try
        {
            // Every domain delivers to the port its own inbound listener uses (LocalDomain): to put the relay on
            // the path, rebel.test listens and delivers on the relay's port, which jedi.test's address forwards.
            var rebelPorts = ports;
            if (throughRelay)
            {
                var relayPort = LocalPorts.Free([jediAddress, rebelAddress]);
                rebelPorts = ports with { Smtp = relayPort };
                story.Relay = SmtpRecordingRelay.Start(new IPEndPoint(jediAddress, relayPort), new IPEndPoint(jediAddress, ports.Smtp));
            }

            story.Jedi = await story.bed.StartAsync(TestBed.Jedi.WithAllListeners(jediAddress, ports), cancellationToken);
            story.Rebel = await story.bed.StartAsync(TestBed.Rebel.WithAllListeners(rebelAddress, rebelPorts), cancellationToken);

            await story.Jedi.AddAccountAsync(Luke, LukePassword, cancellationToken);
            await story.Rebel.AddAccountAsync(Leia, LeiaPassword, cancellationToken);
            story.LukeKey = new KeyGenerator().Generate(new KeyGenerationRequest(Luke) { DisplayName = "Luke Skywalker", Passphrase = LukePassword });
            story.LeiaKey = new KeyGenerator().Generate(new KeyGenerationRequest(Leia) { DisplayName = "Leia Organa", Passphrase = LeiaPassword });
            await story.PublishAsync(story.Jedi, story.LukeKey.Certificate, cancellationToken);
            await story.PublishAsync(story.Rebel, story.LeiaKey.Certificate, cancellationToken);
            return story;
        }
        catch
        {
            await story.DisposeAsync();
            throw;
        }
    }

    public Task PublishAsync(LocalDomain domain, Certificate certificate, CancellationToken cancellationToken) =>
        new KeyPublisher(domain.Server.Store, new CertificatePolicy(), TimeProvider.System).PublishAsync(certificate.ToBinary(), null, cancellationToken);

    public HttpClient CreateHttpClient() => Keypost.Cli.ClientSide.WkdHttp.CreateHttpClient(Resolver, Ports.Https, Ca.Certificate);

    /// <summary>Discovery as the named user's own software does it, with that user's pin store.</summary>
    public KeyDiscovery DiscoveryFor(string user, KeyChangePolicy onChange = KeyChangePolicy.Refuse) =>
        new(new WkdClient(CreateHttpClient()), new PinStore(Path.Combine(Root, user + "-client", "pins.db"), TimeProvider.System), onChange);

    public MailSender LeiaSender(SendPolicy policy, KeyChangePolicy onChange = KeyChangePolicy.Refuse) =>
        new(DiscoveryFor("leia", onChange), policy, LeiaKey.Unlock(LeiaPassword), LeiaConnection, TimeProvider.System);

    public MailServerConnection LeiaConnection =>
        new(Rebel.Address.ToString(), Ports.Submission, Ports.Imaps, Leia.ToString(), LeiaPassword, Ca.Certificate);

    public MailReader LukeReader() =>
        new(
            LukeKey.Unlock(LukePassword),
            new MailServerConnection(Jedi.Address.ToString(), Ports.Submission, Ports.Imaps, Luke.ToString(), LukePassword, Ca.Certificate),
            new SignerKeys(KnownSignerKeys.InMemory(), null, DiscoveryFor("luke"), TimeProvider.System));

    public static SendPolicy Require(string domain) => new(new Dictionary<string, EncryptionPolicy> { [domain] = EncryptionPolicy.Require });

    public static SendPolicy Opportunistic() => new(new Dictionary<string, EncryptionPolicy>(), EncryptionPolicy.Opportunistic);

    /// <summary>The files in a Maildir's new/ and cur/, once there are at least <paramref name="count"/>.</summary>
    public static async Task<IReadOnlyList<string>> WaitForMailAsync(string maildir, int count, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var files = MailIn(maildir);
            if (files.Count >= count)
            {
                return files;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{maildir} holds {files.Count} message(s), expected {count}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    public static IReadOnlyList<string> MailIn(string maildir) =>
        new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(System.IO.Directory.Exists)
            .SelectMany(System.IO.Directory.EnumerateFiles).Order(StringComparer.Ordinal).ToList();

    public async ValueTask DisposeAsync()
    {
        await bed.DisposeAsync();
        if (Relay is not null)
        {
            await Relay.DisposeAsync();
        }
    }
}
