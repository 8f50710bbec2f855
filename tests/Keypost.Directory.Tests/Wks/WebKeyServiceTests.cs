using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Directory.Accounts;
using Keypost.Directory.Storage;
using Keypost.Directory.Wks;
using Keypost.Testing;
using Keypost.Testing.OpenPgp;
using MimeKit;

namespace Keypost.Directory.Tests.Wks;

/// <summary>
/// The Web Key Service on a real SQLite directory: the happy path by hand (the gpg-wks-client run is in the interop
/// tests) and every refusal the issue names, each leaving the directory, and so the log it feeds, as it was.
/// </summary>
public sealed class WebKeyServiceTests : IAsyncLifetime
{
    private static readonly EmailAddress Submission = EmailAddress.Parse("key-submission@jedi.test");
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");
    private static readonly EmailAddress Han = EmailAddress.Parse("han@jedi.test");
    private readonly TempDirectory _directory = new("keypost-wks");
    private readonly SteppingClock _clock = new(DateTimeOffset.UtcNow);
    private DirectoryStore _store = null!;
    private WebKeyService _wks = null!;
    private SecretKey _luke = null!;

    public async Task InitializeAsync()
    {
        var database = await DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None);
        _store = new DirectoryStore(database, _clock);
        await _store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        await _store.EnsureDomainAsync("rebel.test", CancellationToken.None);
        var hash = new PasswordHasher(memoryKiB: 1024, iterations: 1).Hash("pw");
        await _store.SetPasswordHashAsync(Luke, hash, CancellationToken.None);
        await _store.SetPasswordHashAsync(Han, hash, CancellationToken.None);
        _wks = new WebKeyService(_store, new CertificatePolicy(), new WksOptions { MessagesPerClientPerMinute = 10, SubmissionsPerAddressPerHour = 5 }, _clock);
        await _wks.AddDomainAsync(Submission, CancellationToken.None);
        _luke = new KeyGenerator(_clock).Generate(new KeyGenerationRequest(Luke));
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_submission_key_is_published_for_the_submission_address()
    {
        var current = await _store.FindCurrentAsync(Submission, CancellationToken.None);
        Assert.NotNull(current);
        Assert.Equal(_wks.SubmissionCertificate("jedi.test")!.Fingerprint, current.Fingerprint);

        // A restart loads the same key and publishes nothing new.
        var again = new WebKeyService(_store, new CertificatePolicy(), new WksOptions(), _clock);
        await again.AddDomainAsync(Submission, CancellationToken.None);
        Assert.Single(await _store.HistoryAsync(Submission, CancellationToken.None));
    }

    [Fact]
    public async Task A_confirmed_submission_publishes_once_and_a_replayed_nonce_is_refused()
    {
        var submitted = await _wks.ReceiveAsync(Mail(SubmissionMail(_luke.Certificate)), CancellationToken.None);
        Assert.True(submitted.Accepted, submitted.Message);
        Assert.Null(await _store.FindCurrentAsync(Luke, CancellationToken.None));
        var request = ReadRequest(submitted.Reply!, _luke);
        Assert.Equal(Luke, submitted.Reply!.To);
        Assert.Equal("confirmation-request", request["type"]);
        Assert.Equal(_luke.Fingerprint, request["fingerprint"]);
        Assert.True(request["nonce"].Length > 16);

        var confirmed = await _wks.ReceiveAsync(Mail(ResponseMail(Luke.Canonical, request["nonce"])), CancellationToken.None);
        Assert.True(confirmed.Accepted, confirmed.Message);
        Assert.Equal(_luke.Fingerprint, (await _store.FindCurrentAsync(Luke, CancellationToken.None))!.Fingerprint);

        var before = await SnapshotAsync();
        var replayed = await _wks.ReceiveAsync(Mail(ResponseMail(Luke.Canonical, request["nonce"])), CancellationToken.None);
        Assert.False(replayed.Accepted);
        Assert.Contains("already used", replayed.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_confirmation_for_another_address_is_refused()
    {
        var submitted = await _wks.ReceiveAsync(Mail(SubmissionMail(_luke.Certificate)), CancellationToken.None);
        var nonce = ReadRequest(submitted.Reply!, _luke)["nonce"];
        var before = await SnapshotAsync();

        var result = await _wks.ReceiveAsync(Mail(ResponseMail(Han.Canonical, nonce)), CancellationToken.None);
        Assert.False(result.Accepted);
        Assert.Contains("issued for another address", result.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());

        // The refusal did not spend the nonce: Luke's own answer still works.
        Assert.True((await _wks.ReceiveAsync(Mail(ResponseMail(Luke.Canonical, nonce)), CancellationToken.None)).Accepted);
    }

    [Fact]
    public async Task An_expired_or_unknown_nonce_is_refused()
    {
        var submitted = await _wks.ReceiveAsync(Mail(SubmissionMail(_luke.Certificate)), CancellationToken.None);
        var nonce = ReadRequest(submitted.Reply!, _luke)["nonce"];
        var before = await SnapshotAsync();
        _clock.Advance(TimeSpan.FromDays(3));

        var expired = await _wks.ReceiveAsync(Mail(ResponseMail(Luke.Canonical, nonce)), CancellationToken.None);
        Assert.False(expired.Accepted);
        Assert.Contains("expired", expired.Message, StringComparison.Ordinal);
        var unknown = await _wks.ReceiveAsync(Mail(ResponseMail(Luke.Canonical, "abcdefghijklmnopqrstuvwxyz234567")), CancellationToken.None);
        Assert.False(unknown.Accepted);
        Assert.Contains("unknown", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_submission_for_an_address_the_domain_does_not_host_is_refused()
    {
        var before = await SnapshotAsync();
        var foreign = new KeyGenerator(_clock).Generate(new KeyGenerationRequest(EmailAddress.Parse("vader@empire.test")));
        var result = await _wks.ReceiveAsync(Mail(SubmissionMail(foreign.Certificate)), CancellationToken.None);
        Assert.False(result.Accepted);
        Assert.Contains("empire.test is not a domain served by key-submission@jedi.test", result.Message, StringComparison.Ordinal);

        var noMailbox = new KeyGenerator(_clock).Generate(new KeyGenerationRequest(EmailAddress.Parse("vader@jedi.test")));
        result = await _wks.ReceiveAsync(Mail(SubmissionMail(noMailbox.Certificate)), CancellationToken.None);
        Assert.False(result.Accepted);
        Assert.Contains("not a mailbox hosted here", result.Message, StringComparison.Ordinal);

        // Another hosted domain's address, sent to this domain's submission address, is not this service's to confirm.
        var leia = new KeyGenerator(_clock).Generate(new KeyGenerationRequest(EmailAddress.Parse("leia@rebel.test")));
        result = await _wks.ReceiveAsync(Mail(SubmissionMail(leia.Certificate)), CancellationToken.None);
        Assert.False(result.Accepted);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_key_with_user_ids_for_two_domains_is_refused()
    {
        var before = await SnapshotAsync();
        var primary = TestKeys.Ed25519();
        var ring = TestKeys.Build(primary, TestKeys.X25519(), "Luke <luke@jedi.test>");
        ring = TestKeys.AddUserId(ring, primary, "Luke <luke@rebel.test>");
        var result = await _wks.ReceiveAsync(Mail(SubmissionMail(TestKeys.Parse(ring))), CancellationToken.None);
        Assert.False(result.Accepted);
        Assert.Contains("more than one domain (jedi.test, rebel.test)", result.Message, StringComparison.Ordinal);
        Assert.Null(result.Reply);
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_thousand_submissions_in_a_minute_are_cut_off_per_client_and_per_address()
    {
        var before = await SnapshotAsync();
        var mail = SubmissionMail(_luke.Certificate);
        var results = new List<WksResult>();
        for (var i = 0; i < 1000; i++)
        {
            results.Add(await _wks.ReceiveAsync(new WksMail(Submission, Luke, "203.0.113.9", mail), CancellationToken.None));
        }

        // Per address: 5 confirmation requests an hour; per client: 10 messages a minute.
        Assert.Equal(5, results.Count(r => r.Accepted));
        Assert.All(results.Where(r => !r.Accepted), r => Assert.True(r.Transient, r.Message));
        Assert.Contains(results, r => r.Message.StartsWith("too many key submissions for luke@jedi.test", StringComparison.Ordinal));
        Assert.Equal(990, results.Count(r => r.Message.StartsWith("too many Web Key Service messages from 203.0.113.9", StringComparison.Ordinal)));
        Assert.Equal(before, await SnapshotAsync());

        // Another client is not held up by the flood, but the address still is.
        var other = await _wks.ReceiveAsync(new WksMail(Submission, Luke, "198.51.100.7", mail), CancellationToken.None);
        Assert.True(other.Transient);
        Assert.StartsWith("too many key submissions", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mail_that_is_not_a_wks_message_is_refused_with_its_reason()
    {
        var before = await SnapshotAsync();
        var plain = new MimeMessage();
        plain.From.Add(MailboxAddress.Parse("luke@jedi.test"));
        plain.To.Add(MailboxAddress.Parse(Submission.ToString()));
        plain.Body = new TextPart("plain") { Text = "hello" };
        var result = await _wks.ReceiveAsync(Mail(Bytes(plain)), CancellationToken.None);
        Assert.False(result.Accepted);
        Assert.Contains("not a Web Key Service message", result.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync());
    }

    private static WksMail Mail(byte[] message) => new(Submission, Luke, "192.0.2.1", message);

    private async Task<string> SnapshotAsync()
    {
        var rows = new List<string>();
        foreach (var address in await _store.ListAccountsAsync(CancellationToken.None))
        {
            foreach (var row in await _store.HistoryAsync(EmailAddress.Parse(address), CancellationToken.None))
            {
                rows.Add($"{row.Id} {row.Address} {row.Fingerprint} {row.State} {Convert.ToHexString(row.Data)}");
            }
        }

        return string.Join("\n", rows);
    }

    private static byte[] SubmissionMail(Certificate certificate)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("luke@jedi.test"));
        message.To.Add(MailboxAddress.Parse(Submission.ToString()));
        message.Subject = "Key publishing request";
        message.Body = new MimePart("application", "pgp-keys")
        {
            Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(certificate.ToArmored()))),
        };
        return Bytes(message);
    }

    private static byte[] ResponseMail(string address, string nonce)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(address));
        message.To.Add(MailboxAddress.Parse(Submission.ToString()));
        message.Subject = "Key publication confirmation";
        var text = $"type: confirmation-response\nsender: {Submission}\naddress: {address}\nnonce: {nonce}\n";
        message.Body = new MimePart("application", "vnd.gnupg.wks") { Content = new MimeContent(new MemoryStream(Encoding.UTF8.GetBytes(text))) };
        return Bytes(message);
    }

    private static Dictionary<string, string> ReadRequest(WksReply reply, SecretKey key)
    {
        var message = MimeMessage.Load(new MemoryStream(reply.Message));
        var part = message.BodyParts.OfType<MimePart>().Single(p => p.ContentType.IsMimeType("application", "vnd.gnupg.wks"));
        using var encrypted = new MemoryStream();
        part.Content!.DecodeTo(encrypted);
        var clear = Encoding.UTF8.GetString(OpenPgpData.Decrypt(encrypted.ToArray(), key.Unlock(""), 65536));
        return clear.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim());
    }

    private static byte[] Bytes(MimeMessage message)
    {
        using var output = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return output.ToArray();
    }

    private sealed class SteppingClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
