using System.Net;
using System.Security.Cryptography.X509Certificates;
using Keypost.Client.Discovery;
using Keypost.Core.Abuse;
using Keypost.Core.PgpMime;
using Keypost.Directory.Accounts;
using Keypost.Directory.Storage;
using Keypost.Mail.Authentication;
using Keypost.Mail.Delivery;
using Keypost.Mail.Diagnostics;
using Keypost.Mail.Dkim;
using Keypost.Mail.Dns;
using Keypost.Mail.MtaSts;
using Keypost.Mail.TlsRpt;
using Keypost.Imap;
using Keypost.Store;
using Keypost.Store.Maildir;
using Keypost.Store.Postgres;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Keypost.Server.Abuse;
using Keypost.Server.Configuration;
using Keypost.Server.Gateway;
using Keypost.Server.Tls;
using Keypost.Server.Wks;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Wks;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Mail;

/// <summary>
/// The mail side of one Keypost process: SMTP listeners, the durable queue, the delivery worker and IMAP. Built by
/// <see cref="CreateAsync"/>; started and stopped by the host's services (<c>SmtpService</c>, <c>ImapService</c>,
/// <c>DeliveryService</c>), disposed with the server.
/// </summary>
public sealed class MailHost : IAsyncDisposable
{
    private readonly MessageQueue _queue;
    private readonly DeliveryWorker _worker;
    private readonly SmtpListener? _listener;
    private readonly ImapListener? _imap;
    private readonly X509Certificate2? _certificate;
    private readonly IDisposable? _ownedHttp;

    private MailHost(MessageQueue queue, DeliveryWorker worker, SmtpListener? listener, ImapListener? imap, X509Certificate2? certificate, IDisposable? ownedHttp, WebKeyService? wks)
    {
        Wks = wks;
        _ownedHttp = ownedHttp;
        _queue = queue;
        _worker = worker;
        _listener = listener;
        _imap = imap;
        _certificate = certificate;
    }

    public IReadOnlyList<IPEndPoint> SmtpEndpoints => _listener?.LocalEndPoints ?? [];

    public IReadOnlyList<IPEndPoint> ImapEndpoints => _imap?.LocalEndPoints ?? [];

    public MessageQueue Queue => _queue;

    /// <summary>The Web Key Service of the domains with a submission address; null when none has one.</summary>
    public WebKeyService? Wks { get; }

    public DeliveryWorker Worker => _worker;

    /// <summary>Sends the daily TLS reports (RFC 8460); null when mail.tlsReports is off.</summary>
    public TlsReportSender? TlsReportSender { get; private init; }

    private MtaStsPolicySource? MtaStsSource { get; init; }

    private MtaStsPolicyCache? MtaStsCache { get; init; }

    /// <summary>The mailboxes delivery writes and IMAP reads: Maildir, or PostgreSQL with storage.kind "postgres".</summary>
    public IMailStore MailStore { get; private init; } = null!;

    // storage.kind "postgres": the pool the queue and the mail store share, and the store's listener to stop.
    private IAsyncDisposable? DataSource { get; init; }

    /// <summary>The SMTP listener; null when no SMTP endpoint is configured.</summary>
    public SmtpListener? Smtp => _listener;

    /// <summary>The IMAP listener; null when no IMAP endpoint is configured.</summary>
    public ImapListener? Imap => _imap;

    public static async Task<MailHost> CreateAsync(KeypostConfig config, DirectoryStore store, ILoggerFactory loggers, MailMetrics? metrics, CancellationToken cancellationToken, ReloadableCertificate? certificate = null)
    {
        var mail = config.Mail;
        var policies = await DomainMailPolicies.LoadAsync(config.Domains, TimeProvider.System, cancellationToken);
        // A reloadable certificate (ACME renewal) is asked at each handshake; a fixed one is loaded here.
        var reloadable = certificate;
        var initial = reloadable?.Current ?? TlsCertificates.Load(config.MailCertificateFile!, config.MailKeyFile!);
        Func<X509Certificate2>? source = reloadable is null ? null : () => reloadable.Current;
        var submissionAddresses = config.Domains
            .Where(d => !string.IsNullOrEmpty(d.SubmissionAddress))
            .Select(d => EmailAddress.Parse(d.SubmissionAddress!))
            .ToList();
        var accounts = new DirectoryMailAccounts(
            store,
            new PasswordHashGate(mail.MaxConcurrentPasswordHashes > 0 ? mail.MaxConcurrentPasswordHashes : null),
            submissionAddresses.Select(a => a.Canonical).ToHashSet(StringComparer.Ordinal));
        // One throttle for every login protocol of the host, so failures count across SMTP and IMAP sessions alike:
        // guessing on IMAP also slows and blocks the address on submission. The one DirectoryMailAccounts above
        // holds the one PasswordHashGate, so both protocols share the bound on concurrent Argon2id hashes too.
        LoginThrottle? throttle = null;
        var dns = new MailDnsResolver(new MailDnsResolverOptions
        {
            NameServers = mail.DnsServers.Select(ListenAddress.Parse).ToList(),
            TrustAuthenticatedData = mail.DnssecValidatingResolver,
        });
        // RFC 8461 §5.1: fetched policies outlive a restart, in the data directory beside the other state.
        var mtaStsCache = mail.MtaSts ? await MtaStsPolicyCache.OpenAsync(Path.Combine(config.DataDirectory, "mta-sts-cache.db"), cancellationToken) : null;
        var mtaSts = mail.MtaSts ? new MtaStsPolicySource(dns, new MtaStsOptions { LoggerFactory = loggers, Cache = mtaStsCache }) : null;
        var tlsReports = mail.TlsReports ? new TlsReportCollector(TimeProvider.System) : null;
        MessageQueue? queue = null;
        IAsyncDisposable? dataSource = null;
        IMailStore? mailStore = null;
        DkimKeyStore? dkimKeys = null;
        PostgresAbuseCounters? sharedCounters = null;
        try
        {
            if (config.Storage.IsPostgres)
            {
                var postgres = new PostgresParts();
                dataSource = postgres;
                await postgres.OpenAsync(config, loggers, cancellationToken);
                (queue, mailStore, dkimKeys, sharedCounters) = (postgres.Queue, postgres.MailStore, postgres.DkimKeys, postgres.Counters);
            }
            else
            {
                queue = await MessageQueue.OpenAsync(config.QueueDirectory, new MessageQueueOptions { LoggerFactory = loggers }, cancellationToken);
                mailStore = new MaildirStore(config.MailDirectory);
                dkimKeys = new DkimKeyStore(config.DkimDirectory);
            }

            // With storage.kind "postgres" an address's failed logins count on every node, and a block holds on all.
            throttle = new LoginThrottle(
                new LoginThrottleOptions { AddressBlockThreshold = mail.LoginFailuresBeforeBlock, BlockDuration = TimeSpan.FromSeconds(mail.LoginBlockSeconds) },
                TimeProvider.System,
                sharedCounters);
            metrics?.ObserveLoginThrottle(throttle);
            var opened = queue;
            metrics?.ObserveQueueDepth(() => opened.Depth);
            var worker = new DeliveryWorker(queue, mailStore, accounts, dns, new DeliveryOptions
            {
                LocalDomain = config.Hostname,
                SmtpPort = mail.DeliveryPort,
                RetryIntervals = mail.RetryIntervalSeconds.Select(s => TimeSpan.FromSeconds(s)).ToList(),
                GiveUpAfter = TimeSpan.FromSeconds(mail.GiveUpAfterSeconds),
                LoggerFactory = loggers,
                Metrics = metrics,
                UseDane = mail.DnssecValidatingResolver,
                MtaSts = mtaSts,
                TlsReports = tlsReports,
            });
            var reportSender = tlsReports is null ? null : new TlsReportSender(tlsReports, dns, queue, new TlsReportOptions
            {
                Organization = config.Hostname,
                Contact = mail.TlsReportContact ?? "postmaster@" + config.Domains[0].Name,
                HostName = config.Hostname,
                LoggerFactory = loggers,
            });
            var (gateway, ownedHttp) = config.Domains.Any(d => d.Gateway) ? CreateGateway(config, store, policies) : (null, null);
            var atRestKeys = new AtRestKeys(store, policies, TimeProvider.System, loggers.CreateLogger("Keypost.Mail.AtRest"));
            var intake = new MailIntake(
                queue,
                new InboundAuthenticator(dns, config.Hostname),
                new DkimSigningService(dkimKeys),
                config.Hostname,
                mail.HonourDmarcReject,
                TimeProvider.System,
                gateway,
                new JunkFiling(policies),
                new AtRestIntake(atRestKeys, new AtRestEncryptor(), queue, loggers.CreateLogger("Keypost.Mail.AtRest")));
            WebKeyService? wks = null;
            IMessageAcceptor acceptor = intake;
            if (submissionAddresses.Count > 0)
            {
                wks = new WebKeyService(store, new CertificatePolicy(), new WksOptions(), TimeProvider.System, loggers.CreateLogger("Keypost.Directory.Wks"));
                foreach (var submissionAddress in submissionAddresses)
                {
                    await wks.AddDomainAsync(submissionAddress, cancellationToken);
                }

                acceptor = new WksMailRouter(intake, wks, queue, loggers.CreateLogger("Keypost.Server.Wks"));
            }

            var endpoints = mail.Inbound.Select(e => new SmtpEndpoint(ListenAddress.Parse(e), SmtpListenerKind.Inbound, SmtpTlsMode.StartTls))
                .Concat(mail.Submission.Select(e => new SmtpEndpoint(ListenAddress.Parse(e), SmtpListenerKind.Submission, SmtpTlsMode.StartTls)))
                .Concat(mail.SubmissionTls.Select(e => new SmtpEndpoint(ListenAddress.Parse(e), SmtpListenerKind.Submission, SmtpTlsMode.Implicit)))
                .ToList();
            var listener = endpoints.Count == 0 ? null : new SmtpListener(
                new SmtpListenerOptions
                {
                    HostName = config.Hostname,
                    Endpoints = endpoints,
                    Certificate = initial,
                    CertificateSource = source,
                    MaxMessageSize = mail.MaxMessageSize,
                    SubmissionMessagesPerMinute = mail.SubmissionMessagesPerMinute,
                    MaxSessionsPerAddress = mail.MaxSmtpSessionsPerAddress,
                    ConnectionsPerMinutePerAddress = mail.SmtpConnectionsPerMinutePerAddress,
                    SharedCounters = sharedCounters,
                    LoginThrottle = throttle,
                    LoggerFactory = loggers,
                    Metrics = metrics,
                },
                accounts,
                acceptor);
            var imapEndpoints = mail.Imap.Select(e => new ImapEndpoint(ListenAddress.Parse(e), ImapTlsMode.StartTls))
                .Concat(mail.ImapTls.Select(e => new ImapEndpoint(ListenAddress.Parse(e), ImapTlsMode.Implicit)))
                .ToList();
            var imap = imapEndpoints.Count == 0 ? null : new ImapListener(
                new ImapListenerOptions
                {
                    HostName = config.Hostname,
                    Certificate = initial,
                    CertificateSource = source,
                    Endpoints = imapEndpoints,
                    MaxMessageSize = mail.MaxMessageSize,
                    MaxSessions = mail.MaxImapSessions,
                    MaxSessionsPerAccount = mail.MaxImapSessionsPerAccount,
                    MaxSessionsPerAddress = mail.MaxImapSessionsPerAddress,
                    ConnectionsPerMinutePerAddress = mail.ImapConnectionsPerMinutePerAddress,
                    SharedCounters = sharedCounters,
                    LoginThrottle = throttle,
                    LoggerFactory = loggers,
                    Metrics = metrics is null ? null : new ImapMetricsAdapter(metrics),
                    AppendFilter = new AppendEncryption(atRestKeys, new AtRestEncryptor()),
                },
                accounts,
                mailStore);
            return new MailHost(queue, worker, listener, imap, reloadable is null ? initial : null, ownedHttp, wks)
            {
                TlsReportSender = reportSender, MtaStsSource = mtaSts, MtaStsCache = mtaStsCache, MailStore = mailStore, DataSource = dataSource,
            };
        }
        catch
        {
            mtaSts?.Dispose();
            if (mtaStsCache is not null)
            {
                await mtaStsCache.DisposeAsync();
            }

            queue?.Dispose();
            await DisposeStoreAsync(mailStore);
            if (dataSource is not null)
            {
                await dataSource.DisposeAsync();
            }

            if (reloadable is null)
            {
                initial.Dispose();
            }
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }

        if (_imap is not null)
        {
            await _imap.DisposeAsync();
        }

        _worker.Dispose();
        TlsReportSender?.Dispose();
        MtaStsSource?.Dispose();
        if (MtaStsCache is not null)
        {
            await MtaStsCache.DisposeAsync();
        }

        _queue.Dispose();
        await DisposeStoreAsync(MailStore);
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        _certificate?.Dispose();
        _ownedHttp?.Dispose();
    }

    internal static async ValueTask DisposeStoreAsync(IMailStore? store)
    {
        switch (store)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }

    /// <summary>
    /// The submission gateway and the HTTPS client it looks up remote recipients' keys with (WKD), which the host
    /// disposes. A method of its own, never inlined, and the client held as an <see cref="IDisposable"/>: with the WKD
    /// client, the log checker and the composer in <see cref="CreateAsync"/>, compiling it mapped System.Net.Http and
    /// BouncyCastle into every server, gateway or not (idle memory, issue #14 item 5).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (SubmissionGateway? Gateway, IDisposable? OwnedHttp) CreateGateway(KeypostConfig config, DirectoryStore store, DomainMailPolicies policies)
    {
        // WKD answers are small and a submission waits for them: a short timeout, redirects kept on HTTPS by WkdClient.
        var http = new HttpClient(new SocketsHttpHandler { MaxAutomaticRedirections = 3 }) { Timeout = TimeSpan.FromSeconds(15) };
        var gateway = new SubmissionGateway(
            policies,
            new RecipientKeyFinder(store, new WkdClient(http), TimeProvider.System,
                new LogChecker(http, new Client.Contacts.LogStore(Path.Combine(config.DataDirectory, "gateway-logs.db"), TimeProvider.System), TimeProvider.System)),
            new PgpMimeComposer(),
            config.Hostname);
        return (gateway, http);
    }
}
