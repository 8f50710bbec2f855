using Keypost.Core.Addresses;
using Keypost.Mail.Queue;
using Keypost.Mail.Tests.Support;
using Keypost.Testing.Mail;
using MimeKit;

namespace Keypost.Mail.Tests.Delivery;

/// <summary>
/// Issue #13, RFC 8689 §4.2.1: a message sent with REQUIRETLS leaves only over STARTTLS with a certificate valid for
/// the MX name (or DANE) to a next hop that offers REQUIRETLS, and passes REQUIRETLS on; otherwise it is returned
/// with 5.7.30 at once, and nothing of it is sent, in clear or otherwise.
/// </summary>
public sealed class RequireTlsDeliveryTests
{
    private const string Leia = "leia@rebel.test";
    private const string Lando = "lando@rt.test";

    [Fact]
    public async Task A_verified_host_offering_requiretls_gets_the_message_with_requiretls_passed_on()
    {
        using var ca = new TestCertificateAuthority();
        using var mx = ca.Issue("mx.rt.test");
        await using var peer = new ScriptedSmtpPeer(mx) { OfferRequireTls = true };
        await using var h = await HarnessAsync(peer, ca);
        await EnqueueAsync(h, requireTls: true);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.True(Assert.Single(peer.Messages).Tls);
        var mail = Assert.Single(peer.Commands, c => c.StartsWith("MAIL FROM:", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(" REQUIRETLS", mail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_host_without_requiretls_after_starttls_gets_nothing_and_the_sender_gets_a_5_7_30_dsn_of_headers_only()
    {
        using var ca = new TestCertificateAuthority();
        using var mx = ca.Issue("mx.rt.test");
        await using var peer = new ScriptedSmtpPeer(mx) { OfferRequireTls = false };
        await using var h = await HarnessAsync(peer, ca);
        var id = await EnqueueAsync(h, requireTls: true);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Empty(peer.Messages);
        Assert.DoesNotContain(peer.Commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("QUIT", peer.Commands);
        Assert.Null(await h.Queue.GetAsync(id, CancellationToken.None)); // failed for good: no retry

        // RFC 8689 §4.2.2: the DSN quotes the header section only, and is itself tagged REQUIRETLS.
        var (dsnEntry, dsn, status) = await DsnAsync(h);
        Assert.True(dsnEntry.RequireTls);
        Assert.Equal("5.7.30", status["Status"]);
        Assert.Contains("does not offer REQUIRETLS", status["Diagnostic-Code"], StringComparison.Ordinal);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Single(report.OfType<TextRfc822Headers>());
        Assert.DoesNotContain(report, p => p is MessagePart and not TextRfc822Headers);
        Assert.DoesNotContain("Hello from", dsn.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_not_valid_for_the_mx_name_is_5_7_30_while_a_plain_message_still_goes_opportunistically()
    {
        using var ca = new TestCertificateAuthority();
        using var attacker = TestCertificate.Create("mx.rt.test");
        await using var peer = new ScriptedSmtpPeer(attacker) { OfferRequireTls = true };
        await using var h = await HarnessAsync(peer, ca);
        var tagged = await EnqueueAsync(h, requireTls: true);
        var plain = await EnqueueAsync(h, requireTls: false);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        // Only the untagged message reached the peer (RFC 7435: opportunistic TLS for mail that asks nothing).
        var delivered = Assert.Single(peer.Messages);
        Assert.Contains("Subject: plain", delivered.Data, StringComparison.Ordinal);
        Assert.Null(await h.Queue.GetAsync(tagged, CancellationToken.None));
        Assert.Null(await h.Queue.GetAsync(plain, CancellationToken.None));
        var (_, _, status) = await DsnAsync(h);
        Assert.Equal("5.7.30", status["Status"]);
        Assert.Contains("REQUIRETLS: certificate", status["Diagnostic-Code"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_without_starttls_is_5_7_30_and_nothing_is_sent_in_clear()
    {
        using var ca = new TestCertificateAuthority();
        await using var peer = new ScriptedSmtpPeer(offerStartTls: false);
        await using var h = await HarnessAsync(peer, ca);
        var id = await EnqueueAsync(h, requireTls: true);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Empty(peer.Messages);
        Assert.DoesNotContain(peer.Commands, c => c.StartsWith("MAIL", StringComparison.OrdinalIgnoreCase));
        Assert.Null(await h.Queue.GetAsync(id, CancellationToken.None));
        var (_, _, status) = await DsnAsync(h);
        Assert.Equal("5.7.30", status["Status"]);
        Assert.Contains("STARTTLS not offered", status["Diagnostic-Code"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_requiretls_tag_is_kept_in_the_durable_queue_across_a_reopen()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("keypost-queue-rt-").FullName;
        try
        {
            string id;
            using (var queue = await MessageQueue.OpenAsync(dir, new MessageQueueOptions()))
            {
                id = await queue.EnqueueAsync(
                    new QueueEnvelope(EmailAddress.Parse(Leia), [EmailAddress.Parse(Lando)], RequireTls: true),
                    new MemoryStream(System.Text.Encoding.UTF8.GetBytes(DeliveryHarness.Message(Leia, Lando, "kept"))),
                    CancellationToken.None);
            }

            using var reopened = await MessageQueue.OpenAsync(dir, new MessageQueueOptions());
            Assert.True((await reopened.GetAsync(id, CancellationToken.None))!.RequireTls);
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(QueuedMessage Entry, MimeMessage Dsn, HeaderList Status)> DsnAsync(DeliveryHarness h)
    {
        var entry = Assert.Single(await h.Queue.ListAsync(CancellationToken.None), m => m.ReversePath is null);
        var dsn = await h.LoadAsync(entry.Id);
        var status = Assert.Single(Assert.IsType<MultipartReport>(dsn.Body).OfType<MessageDeliveryStatus>());
        Assert.Equal("failed", status.StatusGroups[1]["Action"]);
        return (entry, dsn, status.StatusGroups[1]);
    }

    private static async Task<DeliveryHarness> HarnessAsync(ScriptedSmtpPeer peer, TestCertificateAuthority ca)
    {
        var h = await DeliveryHarness.CreateAsync(peer, new TransportSetup(null, peer.Port, null, [ca.Certificate]));
        h.RouteToPeer("rt.test");
        return h;
    }

    private static Task<string> EnqueueAsync(DeliveryHarness h, bool requireTls) =>
        h.EnqueueRawAsync(
            new QueueEnvelope(EmailAddress.Parse(Leia), [EmailAddress.Parse(Lando)], RequireTls: requireTls),
            DeliveryHarness.Message(Leia, Lando, requireTls ? "tagged" : "plain"));
}
