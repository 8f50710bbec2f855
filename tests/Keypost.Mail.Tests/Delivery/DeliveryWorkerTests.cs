using System.Text;
using Keypost.Core.Addresses;
using Keypost.Mail.Queue;
using MimeKit;

namespace Keypost.Mail.Tests.Delivery;

public sealed class DeliveryWorkerTests
{
    private const string Leia = "leia@rebel.test";
    private const string Han = "han@falcon.test";

    [Fact]
    public async Task RemoteDeliveryUsesMxStartTlsAndOriginalEnvelope()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        await h.EnqueueAsync(Leia, "hi", Han, "chewie@falcon.test");

        await h.Worker.RunOnceAsync(CancellationToken.None);

        var received = Assert.Single(h.Peer.Messages);
        Assert.True(received.Tls);
        Assert.Equal(Leia, received.MailFrom);
        Assert.Equal([Han, "chewie@falcon.test"], received.RcptTo);
        Assert.Contains("Subject: hi", received.Data, StringComparison.Ordinal);
        Assert.Contains("\r\n.leading dot line\r\n", received.Data, StringComparison.Ordinal);
        Assert.Contains(h.Peer.Commands, c => c.StartsWith("EHLO mx.rebel.test", StringComparison.Ordinal));
        Assert.Empty(await h.Queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SeveralMessagesToOneDomainShareOneConnection()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        await h.EnqueueAsync(Leia, "one", Han);
        await h.EnqueueAsync(Leia, "two", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Equal(2, h.Peer.Messages.Count);
        Assert.Equal(1, h.Peer.Connections);
    }

    [Fact]
    public async Task WorksWithoutStartTls()
    {
        await using var h = await DeliveryHarness.CreateAsync(offerStartTls: false);
        h.RouteToPeer("falcon.test");
        await h.EnqueueAsync(Leia, "plain", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.False(Assert.Single(h.Peer.Messages).Tls);
    }

    [Fact]
    public async Task TemporaryRcptFailureIsDeferredThenDeliveredOnALaterAttempt()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        h.Peer.RcptReply = _ => "450 4.2.0 Mailbox busy, try later";
        var id = await h.EnqueueAsync(Leia, "later", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        var deferred = Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients);
        Assert.Equal(RecipientState.Deferred, deferred.State);
        Assert.Equal(1, deferred.Attempts);
        Assert.Contains("450", deferred.LastError, StringComparison.Ordinal);
        Assert.True(deferred.NextAttempt > h.Clock.GetUtcNow());
        Assert.Empty(h.Peer.Messages);

        // Not due yet: a pass does nothing.
        Assert.Equal(0, await h.Worker.RunOnceAsync(CancellationToken.None));

        h.Peer.RcptReply = _ => null;
        h.Clock.Advance(TimeSpan.FromSeconds(2));
        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Single(h.Peer.Messages);
        Assert.Null(await h.Queue.GetAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task PermanentFailureAtDataBouncesWithADsnToTheSender()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        h.Peer.DataReply = "554 5.7.1 Message refused";
        var id = await h.EnqueueAsync(Leia, "refused", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Null(await h.Queue.GetAsync(id, CancellationToken.None));
        var dsnEntry = Assert.Single(await h.Queue.ListAsync(CancellationToken.None));
        Assert.Null(dsnEntry.ReversePath);
        Assert.Equal(EmailAddress.Parse(Leia), Assert.Single(dsnEntry.Recipients).Address);

        var dsn = await h.LoadAsync(dsnEntry.Id);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Equal("auto-replied", dsn.Headers["Auto-Submitted"]);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        Assert.Equal("dns; mx.rebel.test", status.StatusGroups[0]["Reporting-MTA"]);
        var group = status.StatusGroups[1];
        Assert.Equal("rfc822; " + Han, group["Final-Recipient"]);
        Assert.Equal("failed", group["Action"]);
        Assert.Equal("5.7.1", group["Status"]);
        Assert.Contains("554", group["Diagnostic-Code"], StringComparison.Ordinal);
        var headers = Assert.Single(report.OfType<TextRfc822Headers>());
        Assert.Equal("text/rfc822-headers", headers.ContentType.MimeType);
        Assert.Equal("refused", headers.Message?.Subject);
    }

    [Fact]
    public async Task ConnectionDroppedMidDataIsRetried()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        h.Peer.DropMidData = true;
        var id = await h.EnqueueAsync(Leia, "dropped", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Equal(RecipientState.Deferred, Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients).State);

        h.Peer.DropMidData = false;
        await h.Queue.FlushAsync(CancellationToken.None);
        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Equal("dropped", MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Assert.Single(h.Peer.Messages).Data))).Subject);
        Assert.Empty(await h.Queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task DnsServerFailureDefers()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.Dns.ServFail("falcon.test");
        var id = await h.EnqueueAsync(Leia, "servfail", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        var recipient = Assert.Single((await h.Queue.GetAsync(id, CancellationToken.None))!.Recipients);
        Assert.Equal(RecipientState.Deferred, recipient.State);
        Assert.Single(await h.Queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task NonexistentDomainFailsWithDsn()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        var id = await h.EnqueueAsync(Leia, "nx", "nobody@nowhere.test");

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Null(await h.Queue.GetAsync(id, CancellationToken.None));
        var status = await SingleDsnStatusAsync(h);
        Assert.Equal("5.1.2", status["Status"]);
    }

    [Fact]
    public async Task NullMxFailsAtOnce()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.Dns.NullMx("nomail.test");
        await h.EnqueueAsync(Leia, "null mx", "x@nomail.test");

        await h.Worker.RunOnceAsync(CancellationToken.None);

        var status = await SingleDsnStatusAsync(h);
        Assert.Equal("5.1.10", status["Status"]);
        Assert.Contains("does not accept mail", status["Diagnostic-Code"], StringComparison.Ordinal);
        Assert.Equal(0, h.Peer.Connections);
    }

    [Fact]
    public async Task WithoutMxTheDomainAddressIsTheImplicitMx()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.Dns.A("falcon.test", "127.0.0.1");
        await h.EnqueueAsync(Leia, "implicit", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Single(h.Peer.Messages);
        Assert.Empty(await h.Queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task NullSenderFailureSendsNoDsn()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        h.Peer.RcptReply = _ => "550 5.1.1 No such user";
        await h.EnqueueAsync(null, "bounce", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Contains(h.Peer.Commands, c => c == "MAIL FROM:<>" || c.StartsWith("MAIL FROM:<> ", StringComparison.Ordinal));
        Assert.Empty(await h.Queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task EveryRecipientRefusedEndsWithRsetAndQuitNotADroppedConnection()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        h.Peer.RcptReply = _ => "550 5.1.1 No such user";
        await h.EnqueueAsync(Leia, "nobody home", Han, "chewie@falcon.test");

        await h.Worker.RunOnceAsync(CancellationToken.None);

        // Issue #13: RFC 5321 §4.1.1.5 RSET ends the transaction, §4.1.1.10 QUIT ends the session; no DATA sent.
        var commands = h.Peer.Commands.ToList();
        Assert.DoesNotContain("DATA", commands);
        var rset = commands.IndexOf("RSET");
        Assert.True(rset > commands.FindLastIndex(c => c.StartsWith("RCPT TO:", StringComparison.Ordinal)), string.Join(" | ", commands));
        Assert.Equal("QUIT", commands[^1]);
        Assert.Empty(h.Peer.Messages);
    }

    [Fact]
    public async Task PartialRcptRefusalDeliversTheRestAndBouncesOnlyTheRefused()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        h.Peer.RcptReply = a => a.StartsWith("ghost", StringComparison.Ordinal) ? "550 5.1.1 No such user" : null;
        await h.EnqueueAsync(Leia, "partial", Han, "ghost@falcon.test");

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Equal([Han], Assert.Single(h.Peer.Messages).RcptTo);
        var status = await SingleDsnStatusAsync(h);
        Assert.Equal("rfc822; ghost@falcon.test", status["Final-Recipient"]);
        Assert.Equal("5.1.1", status["Status"]);
    }

    [Fact]
    public async Task GivesUpAfterTheRetryWindow()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        h.Peer.RcptReply = _ => "451 4.3.0 Try again";
        await h.EnqueueAsync(Leia, "expire", Han);
        await h.Worker.RunOnceAsync(CancellationToken.None);

        h.Clock.Advance(TimeSpan.FromHours(2));
        await h.Worker.RunOnceAsync(CancellationToken.None);

        var status = await SingleDsnStatusAsync(h);
        Assert.Equal("5.4.7", status["Status"]);
    }

    [Fact]
    public async Task HostedDomainGoesToMaildirWithoutNetwork()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        var id = await h.EnqueueAsync(Leia, "local", "luke@jedi.test");

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Equal(0, h.Dns.QueryCount);
        Assert.Equal(0, h.Peer.Connections);
        Assert.Null(await h.Queue.GetAsync(id, CancellationToken.None));
        var file = Assert.Single(System.IO.Directory.GetFiles(Path.Combine(h.Maildir.GetMaildirPath(EmailAddress.Parse("luke@jedi.test")), "new")));
        var text = await File.ReadAllTextAsync(file);
        Assert.StartsWith("Return-Path: <leia@rebel.test>\r\n", text, StringComparison.Ordinal);
        Assert.Contains("Subject: local", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownLocalAccountBounces()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        await h.EnqueueAsync(Leia, "who", "vader@jedi.test");

        await h.Worker.RunOnceAsync(CancellationToken.None);

        Assert.Equal("5.1.1", (await SingleDsnStatusAsync(h))["Status"]);
    }

    [Fact]
    public async Task DsnToALocalSenderIsDeliveredToItsMaildir()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        h.RouteToPeer("falcon.test");
        h.Peer.RcptReply = _ => "550 5.1.1 No such user";
        await h.EnqueueAsync("luke@jedi.test", "to han", Han);

        await h.Worker.RunOnceAsync(CancellationToken.None);
        await h.Worker.RunOnceAsync(CancellationToken.None);

        var file = Assert.Single(System.IO.Directory.GetFiles(Path.Combine(h.Maildir.GetMaildirPath(EmailAddress.Parse("luke@jedi.test")), "new")));
        var dsn = await MimeMessage.LoadAsync(file);
        Assert.IsType<MultipartReport>(dsn.Body);
        Assert.StartsWith("Return-Path: <>", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        Assert.Empty(await h.Queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RunningWorkerWakesWhenMailIsQueued()
    {
        await using var h = await DeliveryHarness.CreateAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = h.Worker.RunAsync(stop.Token);

        await h.EnqueueAsync(Leia, "wake", "luke@jedi.test");
        var newDir = Path.Combine(h.Maildir.GetMaildirPath(EmailAddress.Parse("luke@jedi.test")), "new");
        while (!(System.IO.Directory.Exists(newDir) && System.IO.Directory.GetFiles(newDir).Length == 1))
        {
            stop.Token.ThrowIfCancellationRequested();
            await Task.Delay(20, stop.Token);
        }

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    private static async Task<HeaderList> SingleDsnStatusAsync(DeliveryHarness h)
    {
        var entry = Assert.Single(await h.Queue.ListAsync(CancellationToken.None), m => m.ReversePath is null);
        var dsn = await h.LoadAsync(entry.Id);
        var status = Assert.Single(Assert.IsType<MultipartReport>(dsn.Body).OfType<MessageDeliveryStatus>());
        Assert.Equal("failed", status.StatusGroups[1]["Action"]);
        return status.StatusGroups[1];
    }
}
