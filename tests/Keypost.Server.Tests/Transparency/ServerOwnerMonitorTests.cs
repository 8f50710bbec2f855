using Keypost.Client.Contacts;
using Keypost.Client.Monitoring;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Accounts;
using Keypost.Directory.Publishing;
using Keypost.Server.Monitoring;
using Keypost.Store.Maildir;
using Keypost.Testing;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Keypost.Server.Tests.Transparency;

/// <summary>
/// Issue #11 must-show (b): the operator logs a forged key for Luke openly; the server's scheduled monitor mails
/// Luke, and Luke's own `keypost monitor` check alerts with the forged fingerprint.
/// </summary>
public sealed class ServerOwnerMonitorTests : IAsyncLifetime
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private readonly TempDirectory _client = new("keypost-server-monitor");
    private readonly KeyGenerator _generator = new();
    private TestServer _server = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(config =>
        {
            config.Mail.Inbound = ["127.0.0.1:0"];
            // Every second, so the test waits for the schedule itself, not a call of ours.
            config.Transparency.MonitorIntervalSeconds = 1;
            // Only the test's own SequenceAsync calls seal epochs after the first: a forgery put back "within one
            // epoch" must not be split into two by the background sequencer's tick.
            config.Transparency.SequenceIntervalSeconds = 3600;
        });
        _http = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _client.Dispose();
    }

    [Fact]
    public async Task The_operator_logs_a_forged_key_the_scheduled_monitor_mails_Luke_and_Lukes_monitor_names_the_forged_fingerprint()
    {
        var store = _server.Server.Store;
        await store.SetPasswordHashAsync(Luke, new PasswordHasher(memoryKiB: 1024, iterations: 1).Hash("luke's password"), CancellationToken.None);
        var luke = _generator.Generate(new KeyGenerationRequest(Luke));
        var publisher = new KeyPublisher(store, new CertificatePolicy(), TimeProvider.System);
        await publisher.PublishAsync(luke.Certificate.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency.SequenceAsync(CancellationToken.None);
        var monitor = new OwnerMonitor(_http, new LogStore(_client.Combine("logs.db"), TimeProvider.System), TimeProvider.System);
        Assert.Empty((await monitor.CheckAsync(Luke, [luke.Fingerprint], CancellationToken.None)).Alerts);

        // The operator publishes his own key for Luke openly, as `keypost directory publish` does: it is logged.
        var forged = _generator.Generate(new KeyGenerationRequest(Luke)).Certificate;
        await publisher.PublishAsync(forged.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency.SequenceAsync(CancellationToken.None);

        // Luke's own check names version, epoch and the forged fingerprint.
        var report = await monitor.CheckAsync(Luke, [luke.Fingerprint], CancellationToken.None);
        var alert = Assert.Single(report.Alerts);
        Assert.Equal((2L, forged.Fingerprint.ToUpperInvariant()), (alert.Version, alert.Fingerprint.ToUpperInvariant()));

        // The server's scheduled run mails him; its delivery worker puts the alert in his INBOX.
        var mail = await WaitForMailAsync(TimeSpan.FromSeconds(90));
        Assert.Equal("postmaster@jedi.test", mail.From.Mailboxes.Single().Address);
        Assert.Equal(Luke.ToString(), mail.To.Mailboxes.Single().Address);
        var header = Assert.Single(mail.Headers, h => h.Field == OwnerAlertMail.AlertHeader);
        Assert.Equal($"version=2; epoch={report.Epoch}; fingerprint={forged.Fingerprint}", header.Value, ignoreCase: true);
        Assert.Contains(forged.Fingerprint, mail.TextBody, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(luke.Fingerprint, mail.TextBody, StringComparison.OrdinalIgnoreCase);

        // Sent once: a run now finds nothing new, and his enrollment (version 1) was never an alert.
        var service = _server.Server.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<OwnerMonitorService>().Single();
        Assert.Equal(0, await service.RunOnceAsync(CancellationToken.None));
        Assert.Single(InboxFiles());
    }

    [Fact]
    public async Task Lukes_monitor_names_every_version_since_his_last_check_a_forgery_put_back_within_one_epoch_and_a_revocation_he_did_not_make()
    {
        var store = _server.Server.Store;
        var luke = _generator.Generate(new KeyGenerationRequest(Luke));
        var publisher = new KeyPublisher(store, new CertificatePolicy(), TimeProvider.System);
        await publisher.PublishAsync(luke.Certificate.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency.SequenceAsync(CancellationToken.None);
        var monitor = new OwnerMonitor(_http, new LogStore(_client.Combine("logs.db"), TimeProvider.System), TimeProvider.System);
        Assert.Empty((await monitor.CheckAsync(Luke, [luke.Fingerprint], CancellationToken.None)).Alerts);

        // A write to the database marks Luke's own key revoked (no revocation signature, no `keypost key revoke`).
        var current = (await store.FindCurrentAsync(Luke, CancellationToken.None))!;
        await store.PublishAsync(Luke, luke.Fingerprint, current.Data, revoked: true, CancellationToken.None);
        await _server.Server.Transparency.SequenceAsync(CancellationToken.None);
        var revocation = Assert.Single((await monitor.CheckAsync(Luke, [luke.Fingerprint], CancellationToken.None)).Alerts);
        Assert.Equal((2L, luke.Fingerprint), (revocation.Version, revocation.Fingerprint), new FingerprintComparer());
        Assert.Contains("a revocation of your key that you did not make", revocation.Reason, StringComparison.Ordinal);

        // Had his profile made it (as `keypost key revoke` records), the same version is his own: a clean check.
        await monitor.RecordOwnRevocationAsync(Luke, luke.Fingerprint, CancellationToken.None);
        Assert.Empty((await monitor.CheckAsync(Luke, [luke.Fingerprint], CancellationToken.None)).Alerts);

        // The operator logs a forged key and puts Luke's back before the epoch is sealed: the newest binding is
        // Luke's, but the history names the forged version, its epoch and its fingerprint.
        var next = _generator.Generate(new KeyGenerationRequest(Luke));
        await publisher.PublishAsync(next.Certificate.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency.SequenceAsync(CancellationToken.None);
        Assert.Empty((await monitor.CheckAsync(Luke, [luke.Fingerprint, next.Fingerprint], CancellationToken.None)).Alerts);
        var forged = _generator.Generate(new KeyGenerationRequest(Luke)).Certificate;
        await publisher.PublishAsync(forged.ToBinary(), null, CancellationToken.None);
        await publisher.PublishAsync(next.Certificate.ToBinary(), null, CancellationToken.None);
        await _server.Server.Transparency.SequenceAsync(CancellationToken.None);
        var report = await monitor.CheckAsync(Luke, [luke.Fingerprint, next.Fingerprint], CancellationToken.None);
        Assert.Equal(5, report.Version);
        var alert = Assert.Single(report.Alerts);
        Assert.Equal((4L, report.Epoch, forged.Fingerprint), (alert.Version, alert.Epoch, alert.Fingerprint), new FingerprintComparer());
        Assert.Contains("a key you do not hold", alert.Reason, StringComparison.Ordinal);
    }

    /// <summary>Compares (version, epoch?, fingerprint) tuples with the fingerprint case-insensitive.</summary>
    private sealed class FingerprintComparer : IEqualityComparer<(long, string)>, IEqualityComparer<(long, long, string)>
    {
        public bool Equals((long, string) x, (long, string) y) => x.Item1 == y.Item1 && string.Equals(x.Item2, y.Item2, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((long, string) obj) => obj.Item1.GetHashCode();

        public bool Equals((long, long, string) x, (long, long, string) y) =>
            x.Item1 == y.Item1 && x.Item2 == y.Item2 && string.Equals(x.Item3, y.Item3, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((long, long, string) obj) => obj.Item1.GetHashCode();
    }

    private IReadOnlyList<string> InboxFiles()
    {
        var maildir = new MaildirStore(_server.Config.MailDirectory).GetMaildirPath(Luke);
        return new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(System.IO.Directory.Exists).SelectMany(System.IO.Directory.GetFiles).ToList();
    }

    private async Task<MimeMessage> WaitForMailAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            if (InboxFiles() is [var file, ..])
            {
                return await MimeMessage.LoadAsync(file, CancellationToken.None);
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no alert mail in {timeout}");
            }
        }
    }
}
