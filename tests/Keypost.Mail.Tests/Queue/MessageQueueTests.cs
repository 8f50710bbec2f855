using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Keypost.Testing;

namespace Keypost.Mail.Tests.Queue;

public sealed class MessageQueueTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Subject: kept\r\n\r\nbody\r\n");

    private static QueueEnvelope Envelope(string? from = "leia@rebel.test") =>
        new(from is null ? null : EmailAddress.Parse(from), [EmailAddress.Parse("luke@jedi.test"), EmailAddress.Parse("han@falcon.test")], SmtpUtf8: true);

    private static SmtpEnvelope SmtpEnvelope() => new(Envelope().ReversePath, Envelope().Recipients, SmtpUtf8: true);

    [Fact]
    public async Task The_folder_intake_chose_is_kept_beside_the_message_not_in_it()
    {
        using var dir = new TempDirectory();
        string id;
        using (var queue = await MessageQueue.OpenAsync(dir.Path))
        {
            id = await queue.EnqueueAsync(Envelope() with { Folder = "Junk" }, new MemoryStream(Body), CancellationToken.None);
            await Assert.ThrowsAsync<ArgumentException>(() => queue.EnqueueAsync(Envelope() with { Folder = "../x" }, new MemoryStream(Body), CancellationToken.None));
        }

        using var reopened = await MessageQueue.OpenAsync(dir.Path);
        var message = await reopened.GetAsync(id, CancellationToken.None);
        Assert.Equal("Junk", message!.Folder);
        await using var data = reopened.OpenData(id);
        using var copy = new MemoryStream();
        await data.CopyToAsync(copy);
        Assert.Equal(Body, copy.ToArray());
    }

    [Fact]
    public async Task EnqueuedMessageSurvivesReopen()
    {
        using var dir = new TempDirectory();
        string id;
        using (var queue = await MessageQueue.OpenAsync(dir.Path))
        {
            id = await queue.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);
        }

        using var reopened = await MessageQueue.OpenAsync(dir.Path);
        var message = Assert.Single(await reopened.ListAsync(CancellationToken.None));
        Assert.Equal(id, message.Id);
        Assert.Equal(EmailAddress.Parse("leia@rebel.test"), message.ReversePath);
        Assert.True(message.SmtpUtf8);
        Assert.Equal(Body.Length, message.Size);
        Assert.Equal(["luke@jedi.test", "han@falcon.test"], message.Recipients.Select(r => r.Address.ToString()));
        Assert.All(message.Recipients, r => Assert.Equal(RecipientState.Pending, r.State));
        await using var data = reopened.OpenData(id);
        using var copy = new MemoryStream();
        await data.CopyToAsync(copy);
        Assert.Equal(Body, copy.ToArray());
    }

    [Fact]
    public async Task NullReversePathIsKept()
    {
        using var dir = new TempDirectory();
        using var queue = await MessageQueue.OpenAsync(dir.Path);
        var id = await queue.EnqueueAsync(Envelope(from: null), new MemoryStream(Body), CancellationToken.None);

        Assert.Null((await queue.GetAsync(id, CancellationToken.None))!.ReversePath);
    }

    [Fact]
    public async Task ASecondOpenWithoutCloseStillWorks()
    {
        // Stands in for a process that stopped without disposing: no exclusive lock may be left behind.
        using var dir = new TempDirectory();
        var first = await MessageQueue.OpenAsync(dir.Path);
        await first.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);

        using var second = await MessageQueue.OpenAsync(dir.Path);
        await second.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);
        Assert.Equal(2, (await second.ListAsync(CancellationToken.None)).Count);
        first.Dispose();
    }

    [Fact]
    public async Task OrphanDataFilesAreRemovedAtOpenOnceOldEnough()
    {
        using var dir = new TempDirectory();
        using (var queue = await MessageQueue.OpenAsync(dir.Path))
        {
            await queue.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);
        }

        var orphan = Path.Combine(dir.Path, "data", Guid.CreateVersion7().ToString("N") + ".eml");
        await File.WriteAllBytesAsync(orphan, Body);

        using (await MessageQueue.OpenAsync(dir.Path))
        {
            Assert.True(File.Exists(orphan), "a fresh file may belong to an enqueue in progress elsewhere");
        }

        using var queue2 = await MessageQueue.OpenAsync(dir.Path, new MessageQueueOptions { OrphanAge = TimeSpan.Zero });
        Assert.False(File.Exists(orphan));
        Assert.Single(System.IO.Directory.GetFiles(Path.Combine(dir.Path, "data")));
        Assert.Single(await queue2.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task FlushMakesDeferredRecipientsDue()
    {
        using var dir = new TempDirectory();
        using var queue = await MessageQueue.OpenAsync(dir.Path);
        var id = await queue.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);
        var later = DateTimeOffset.UtcNow.AddHours(1);
        await queue.RecordAsync(id, [RecipientOutcome.Deferred(0, "451 busy", later), RecipientOutcome.Deferred(1, "451 busy", later)], CancellationToken.None);
        Assert.Empty(await queue.GetDueAsync(10, CancellationToken.None));

        Assert.Equal(2, await queue.FlushAsync(CancellationToken.None));

        Assert.Single(await queue.GetDueAsync(10, CancellationToken.None));
    }

    [Fact]
    public async Task MessageLeavesTheQueueWhenEveryRecipientIsFinal()
    {
        using var dir = new TempDirectory();
        using var queue = await MessageQueue.OpenAsync(dir.Path);
        var id = await queue.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);

        Assert.False(await queue.RecordAsync(id, [RecipientOutcome.Delivered(0)], CancellationToken.None));
        var partly = (await queue.GetAsync(id, CancellationToken.None))!;
        Assert.Equal(RecipientState.Delivered, partly.Recipients[0].State);
        Assert.Equal(RecipientState.Pending, partly.Recipients[1].State);

        Assert.True(await queue.RecordAsync(id, [RecipientOutcome.Failed(1, "550 no")], CancellationToken.None));
        Assert.Null(await queue.GetAsync(id, CancellationToken.None));
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(dir.Path, "data")));
    }

    [Fact]
    public async Task RemoveDeletesRecordAndData()
    {
        using var dir = new TempDirectory();
        using var queue = await MessageQueue.OpenAsync(dir.Path);
        var id = await queue.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);

        Assert.False(await queue.RemoveAsync("../../etc/passwd", CancellationToken.None));
        Assert.True(await queue.RemoveAsync(id, CancellationToken.None));

        Assert.Empty(await queue.ListAsync(CancellationToken.None));
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(dir.Path, "data")));
        Assert.False(await queue.RemoveAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task AcceptorQueuesAndAnswers250WithTheId()
    {
        using var dir = new TempDirectory();
        using var queue = await MessageQueue.OpenAsync(dir.Path);
        var raised = new List<string>();
        queue.MessageEnqueued += (_, id) => raised.Add(id);
        var acceptor = new QueueAcceptor(queue);
        var session = new SmtpSessionInfo(SmtpListenerKind.Inbound, IPAddress.Loopback, "client.test", true, null);

        var result = await acceptor.AcceptAsync(session, SmtpEnvelope(), new MemoryStream(Body), CancellationToken.None);

        Assert.Equal(250, result.Code);
        var message = Assert.Single(await queue.ListAsync(CancellationToken.None));
        Assert.EndsWith(message.Id, result.Text, StringComparison.Ordinal);
        Assert.Equal([message.Id], raised);
    }

    [Fact]
    public async Task AcceptorAnswers451WhenTheQueueCannotWrite()
    {
        using var dir = new TempDirectory();
        using var queue = await MessageQueue.OpenAsync(dir.Path);
        System.IO.Directory.Delete(Path.Combine(dir.Path, "data"));
        var session = new SmtpSessionInfo(SmtpListenerKind.Inbound, IPAddress.Loopback, "client.test", false, null);

        var result = await new QueueAcceptor(queue).AcceptAsync(session, SmtpEnvelope(), new MemoryStream(Body), CancellationToken.None);

        Assert.Equal(451, result.Code);
        Assert.Empty(await queue.ListAsync(CancellationToken.None));
    }
}
