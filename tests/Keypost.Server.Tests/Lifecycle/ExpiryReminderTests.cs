using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Directory.Accounts;
using Keypost.Directory.Lifecycle;
using Keypost.Directory.Publishing;
using Keypost.Directory.Storage;
using Keypost.Server.Monitoring;
using Keypost.Store.Maildir;
using Keypost.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Keypost.Server.Tests.Lifecycle;

/// <summary>
/// Issue #12, item 5: owners are mailed 30 days and 7 days before their key expires, once each; a revoked key, a
/// key far from its expiry and one already expired get nothing; the mail reaches the owner's INBOX.
/// </summary>
public sealed class ExpiryReminderTests : IAsyncLifetime
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly EmailAddress Han = EmailAddress.Parse("han@jedi.test");
    private static readonly EmailAddress Rey = EmailAddress.Parse("rey@jedi.test");
    private static readonly EmailAddress Finn = EmailAddress.Parse("finn@jedi.test");
    private readonly KeyGenerator _generator = new();
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(config =>
        {
            config.Mail.Inbound = ["127.0.0.1:0"];
            // The test runs the service itself, at times it chooses; the schedule would race it.
            config.Lifecycle.ExpiryReminderIntervalSeconds = 0;
            config.Transparency.MonitorIntervalSeconds = 0;
        });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Owners_are_mailed_once_at_30_and_once_at_7_days_and_no_one_else_is()
    {
        var now = DateTimeOffset.UtcNow;
        var store = _server.Server.Store;
        foreach (var account in new[] { Luke, Han, Rey, Finn })
        {
            // A mail account is an address with a password; without one local delivery answers 550 5.1.1.
            await store.SetPasswordHashAsync(account, new PasswordHasher(memoryKiB: 1024, iterations: 1).Hash("a password"), CancellationToken.None);
        }

        var publisher = new KeyPublisher(store, new CertificatePolicy(), TimeProvider.System);
        var luke = await PublishAsync(publisher, Luke, now, TimeSpan.FromDays(20));
        var han = await PublishAsync(publisher, Han, now, TimeSpan.FromDays(5));
        await PublishAsync(publisher, Rey, now, TimeSpan.FromDays(200));
        var finn = _generator.Generate(new KeyGenerationRequest(Finn) { CreatedAt = now.AddDays(-1), Validity = TimeSpan.FromDays(4) });
        await publisher.PublishAsync(finn.Certificate.ToBinary(), null, CancellationToken.None);
        await publisher.PublishAsync(KeyLifecycle.Revoke(finn.Unlock(""), "key retired", superseded: false, now).ToBinary(), null, CancellationToken.None);

        var service = NewService();
        Assert.Equal(2, await service.RunOnceAsync(now, CancellationToken.None));
        var lukeMail = Assert.Single(await WaitForMailAsync(Luke, 1));
        Assert.Equal($"fingerprint={luke}; days=30", Strip(lukeMail), ignoreCase: true);
        Assert.Equal("postmaster@jedi.test", lukeMail.From.Mailboxes.Single().Address);
        Assert.Contains("keypost key extend", lukeMail.TextBody, StringComparison.Ordinal);
        Assert.Equal("auto-generated", lukeMail.Headers["Auto-Submitted"]);
        var hanMail = Assert.Single(await WaitForMailAsync(Han, 1));
        Assert.Equal($"fingerprint={han}; days=7", Strip(hanMail), ignoreCase: true);

        // Once: the next run finds nothing new. Nothing for Rey (200 days) or Finn (revoked).
        Assert.Equal(0, await service.RunOnceAsync(now.AddHours(6), CancellationToken.None));

        // Sixteen days on, Luke's key has 4 days left: his 7-day reminder; Han's key has expired: nothing.
        Assert.Equal(1, await service.RunOnceAsync(now.AddDays(16), CancellationToken.None));
        var lukeMails = await WaitForMailAsync(Luke, 2);
        Assert.Contains(lukeMails, m => Strip(m).Equals($"fingerprint={luke}; days=7", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(Inbox(Rey));
        Assert.Empty(Inbox(Finn));
        Assert.Single(Inbox(Han));

        // A renewed key is a new key as far as reminders go: `key extend` publishes a later expiry, and nothing is due.
        var lukeRenewed = _generator.Generate(new KeyGenerationRequest(Luke) { Validity = TimeSpan.FromDays(365) });
        await publisher.PublishAsync(lukeRenewed.Certificate.ToBinary(), null, CancellationToken.None);
        Assert.Equal(0, await service.RunOnceAsync(now.AddDays(16), CancellationToken.None));
    }

    [Fact]
    public async Task The_run_reads_the_end_of_use_stored_at_publication_and_works_it_out_once_for_older_rows()
    {
        var now = DateTimeOffset.UtcNow;
        var store = _server.Server.Store;
        var publisher = new KeyPublisher(store, new CertificatePolicy(), TimeProvider.System);
        var luke = await PublishAsync(publisher, Luke, now, TimeSpan.FromDays(20));
        var planner = new ExpiryReminderPlanner(store, [30, 7]);
        Task<bool> NoneSent(ExpiryReminder reminder, CancellationToken ct) => Task.FromResult(false);

        // Stored at publication: the run does not parse the certificate (bytes it could not parse still give the
        // reminder).
        var data = (await store.FindCurrentAsync(Luke, CancellationToken.None))!.Data;
        await store.Database.ExecuteAsync("UPDATE certificates SET data = $2 WHERE address = $1 AND state = 'current'", CancellationToken.None, Luke.Canonical, new byte[] { 0x99, 0x00 });
        var due = Assert.Single(await planner.DueAsync(now, NoneSent, CancellationToken.None));
        Assert.Equal(luke, due.Fingerprint, ignoreCase: true);
        Assert.Equal(30, due.Days);
        Assert.InRange(due.ExpiresAt, now.AddDays(19.9), now.AddDays(20.1));

        // A row from before the end of use was stored: worked out from the certificate, then stored.
        await store.Database.ExecuteAsync("UPDATE certificates SET data = $2, expiry_known = 0, usable_until = NULL WHERE address = $1 AND state = 'current'", CancellationToken.None, Luke.Canonical, data);
        Assert.Equal(due, Assert.Single(await planner.DueAsync(now, NoneSent, CancellationToken.None)));
        Assert.Equal(1L, Convert.ToInt64(await store.Database.ScalarAsync("SELECT expiry_known FROM certificates WHERE address = $1 AND state = 'current'", CancellationToken.None, Luke.Canonical), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(due.ExpiresAt, DateTimeOffset.Parse((string)(await store.Database.ScalarAsync("SELECT usable_until FROM certificates WHERE address = $1 AND state = 'current'", CancellationToken.None, Luke.Canonical))!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_key_is_usable_until_its_primary_or_its_last_encryption_subkey_expires_whichever_is_first()
    {
        var now = DateTimeOffset.UtcNow;
        var never = _generator.Generate(new KeyGenerationRequest(Rey) { Validity = null });
        Assert.Null(ExpiryReminderPlanner.UsableUntil(never.Certificate.ToBinary(), now));
        var soon = _generator.Generate(new KeyGenerationRequest(Rey) { CreatedAt = now.AddDays(-1), Validity = TimeSpan.FromDays(10) });
        var until = ExpiryReminderPlanner.UsableUntil(soon.Certificate.ToBinary(), now);
        Assert.NotNull(until);
        Assert.InRange(until.Value, now.AddDays(8.9), now.AddDays(9.1));
        Assert.Throws<ArgumentException>(() => new ExpiryReminderPlanner(_server.Server.Store, [30, 0]));
    }

    private async Task<string> PublishAsync(KeyPublisher publisher, EmailAddress address, DateTimeOffset now, TimeSpan left)
    {
        // Made a year ago with a validity that ends `left` from now, as a key nearing its end would be.
        var key = _generator.Generate(new KeyGenerationRequest(address) { CreatedAt = now.AddDays(-365), Validity = TimeSpan.FromDays(365) + left });
        await publisher.PublishAsync(key.Certificate.ToBinary(), null, CancellationToken.None);
        return key.Fingerprint;
    }

    private ExpiryReminderService NewService() => new(
        new ExpiryReminderPlanner(_server.Server.Store, [30, 7]),
        new LifecycleStore(_server.Server.Store.Database),
        () => _server.Server.Mail,
        "mx.jedi.test",
        TimeSpan.FromHours(6),
        TimeProvider.System,
        NullLogger<ExpiryReminderService>.Instance);

    // The header without its expiry date, which depends on the second the key was made.
    private static string Strip(MimeMessage message)
    {
        var value = message.Headers[ExpiryReminderMail.ExpiryHeader] ?? "";
        var parts = value.Split("; ").Where(p => !p.StartsWith("expires=", StringComparison.Ordinal));
        return string.Join("; ", parts);
    }

    private IReadOnlyList<string> Inbox(EmailAddress owner)
    {
        var maildir = new MaildirStore(_server.Config.MailDirectory).GetMaildirPath(owner);
        return new[] { "new", "cur" }.Select(d => Path.Combine(maildir, d)).Where(System.IO.Directory.Exists).SelectMany(System.IO.Directory.GetFiles).ToList();
    }

    private async Task<IReadOnlyList<MimeMessage>> WaitForMailAsync(EmailAddress owner, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (Inbox(owner).Count < count)
        {
            await Task.Delay(200, deadline.Token);
        }

        var messages = new List<MimeMessage>();
        foreach (var file in Inbox(owner))
        {
            messages.Add(await MimeMessage.LoadAsync(file, CancellationToken.None));
        }

        return messages;
    }
}
