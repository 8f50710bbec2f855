using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.LocalServe;
using Keypost.Mail.Delivery;
using Keypost.Mail.Dns;
using Keypost.Mail.MtaSts;
using Keypost.Mail.TlsRpt;
using Keypost.Store.Maildir;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Keypost.Mail.Tests.Support;
using Keypost.Testing.Mail;
using Keypost.Testing;
using MimeKit;
using Microsoft.Extensions.Time.Testing;

namespace Keypost.Mail.Tests.Delivery;

/// <summary>A queue, Maildir store, loopback DNS, scripted peer and worker wired together for one test.</summary>
internal sealed class DeliveryHarness : IAsyncDisposable
{
    private readonly TempDirectory temp = new("keypost-delivery");

    private DeliveryHarness(MessageQueue queue, ScriptedSmtpPeer peer, FakeTimeProvider clock, TransportSetup? transport = null)
    {
        Queue = queue;
        Peer = peer;
        Clock = clock;
        Maildir = new MaildirStore(temp.Combine("mail"));
        IMailDnsResolver resolver = transport?.Resolver ?? new MailDnsResolver(new MailDnsResolverOptions
        {
            NameServers = [Dns.EndPoint],
            Timeout = TimeSpan.FromSeconds(10),
            Retries = 0,
            UseCache = false,
        });
        if (transport?.MtaStsPort is { } stsPort)
        {
            MtaSts = new MtaStsPolicySource(resolver, new MtaStsOptions { HttpsPort = stsPort, ExtraTrustedRoots = transport.TrustedRoots, TimeProvider = clock, FetchTimeout = TimeSpan.FromSeconds(20) });
        }

        Worker = new DeliveryWorker(Queue, Maildir, new FakeMailAccounts("jedi.test").Add("luke@jedi.test", "use-the-force"), resolver, new DeliveryOptions
        {
            LocalDomain = "mx.rebel.test",
            SmtpPort = transport?.SmtpPort ?? peer.Port,
            MtaSts = MtaSts,
            ExtraTrustedRoots = transport?.TrustedRoots,
            TlsReports = TlsReports,
            RetryIntervals = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)],
            GiveUpAfter = TimeSpan.FromHours(1),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            CommandTimeout = TimeSpan.FromSeconds(10),
            PollInterval = TimeSpan.FromMinutes(10),
            TimeProvider = clock,
        });
    }

    public LoopbackDnsServer Dns { get; } = new();

    public MtaStsPolicySource? MtaSts { get; }

    public TlsReportCollector TlsReports { get; } = new(TimeProvider.System);

    public MessageQueue Queue { get; private set; }

    public ScriptedSmtpPeer Peer { get; }

    public FakeTimeProvider Clock { get; }

    public MaildirStore Maildir { get; }

    public DeliveryWorker Worker { get; }

    public static async Task<DeliveryHarness> CreateAsync(bool offerStartTls = true)
    {
        // Starts at the real now: messages carry dates the DSN and Received lines print.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var dir = System.IO.Directory.CreateTempSubdirectory("keypost-queue-").FullName;
        var queue = await MessageQueue.OpenAsync(dir, new MessageQueueOptions { TimeProvider = clock });
        return new DeliveryHarness(queue, new ScriptedSmtpPeer(offerStartTls), clock);
    }

    /// <summary>A harness whose worker asks <paramref name="transport"/>'s resolver and applies DANE and MTA-STS.</summary>
    public static async Task<DeliveryHarness> CreateAsync(ScriptedSmtpPeer peer, TransportSetup transport)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var dir = System.IO.Directory.CreateTempSubdirectory("keypost-queue-").FullName;
        var queue = await MessageQueue.OpenAsync(dir, new MessageQueueOptions { TimeProvider = clock });
        return new DeliveryHarness(queue, peer, clock, transport);
    }

    public static string Message(string from, string to, string subject) =>
        $"From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@rebel.test>\r\n\r\nHello from {from}.\r\n.leading dot line\r\n";

    public Task<string> EnqueueAsync(string? from, string subject, params string[] to)
    {
        var envelope = new QueueEnvelope(from is null ? null : EmailAddress.Parse(from), to.Select(EmailAddress.Parse).ToList());
        return Queue.EnqueueAsync(envelope, new MemoryStream(Encoding.UTF8.GetBytes(Message(from ?? "mailer-daemon@rebel.test", to[0], subject))), CancellationToken.None);
    }

    /// <summary>Queues <paramref name="message"/> as given, under <paramref name="envelope"/>.</summary>
    public Task<string> EnqueueRawAsync(QueueEnvelope envelope, string message) =>
        Queue.EnqueueAsync(envelope, new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);

    /// <summary>Points mx.<paramref name="domain"/> at the scripted peer.</summary>
    public void RouteToPeer(string domain)
    {
        Dns.Mx(domain, 10, "mx." + domain).A("mx." + domain, IPAddress.Loopback.ToString());
    }

    public async Task<MimeMessage> LoadAsync(string id)
    {
        await using var data = Queue.OpenData(id);
        return await MimeMessage.LoadAsync(data);
    }

    public async ValueTask DisposeAsync()
    {
        Worker.Dispose();
        MtaSts?.Dispose();
        Queue.Dispose();
        Maildir.Dispose();
        Dns.Dispose();
        await Peer.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Queue.Directory!, recursive: true);
        }
        catch (IOException)
        {
            // /tmp is cleaned anyway.
        }

        temp.Dispose();
    }
}
