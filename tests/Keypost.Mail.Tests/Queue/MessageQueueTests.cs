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
        // Every message in a file here: the one queued must keep its file while the orphan goes.
        using (var queue = await MessageQueue.OpenAsync(dir.Path, new MessageQueueOptions { InlineMessageMaxBytes = 0 }))
        {
            await queue.EnqueueAsync(Envelope(), new MemoryStream(Body), CancellationToken.None);
        }

        var orphan = Path.Combine(dir.Path, "data", Guid.CreateVersion7().ToString("N") + ".eml");
        await File.WriteAllBytesAsync(orphan, Body);

        using (await MessageQueue.OpenAsync(dir.Path))
        {
            Assert.True(File.Exists(orphan), "a fresh file may belong to an enqueue in progress elsewhere");
        }

        using var queue2 = await MessageQueue.OpenAsync(dir.Path, new MessageQueueOptions { OrphanAge = TimeSpan.Zero, InlineMessageMaxBytes = 0 });
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
        // A data file that cannot be created (its directory is gone) stands in for a failing disk.
        using var queue = await MessageQueue.OpenAsync(dir.Path, new MessageQueueOptions { InlineMessageMaxBytes = 0 });
        System.IO.Directory.Delete(Path.Combine(dir.Path, "data"));
        var session = new SmtpSessionInfo(SmtpListenerKind.Inbound, IPAddress.Loopback, "client.test", false, null);

        var result = await new QueueAcceptor(queue).AcceptAsync(session, SmtpEnvelope(), new MemoryStream(Body), CancellationToken.None);

        Assert.Equal(451, result.Code);
        Assert.Empty(await queue.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Small_messages_live_in_the_database_and_large_ones_in_files_and_both_survive_reopen()
    {
        using var dir = new TempDirectory();
        const int Limit = 1024;
        var atLimit = Bytes(Limit, 'a');
        var overLimit = Bytes(Limit + 1, 'b');
        var large = Bytes(300_000, 'c');
        var options = new MessageQueueOptions { InlineMessageMaxBytes = Limit };
        string[] ids;
        using (var queue = await MessageQueue.OpenAsync(dir.Path, options))
        {
            // Written in pieces, as intake writes a parsed message: the spill to a file happens mid-write.
            ids = await Task.WhenAll(new[] { atLimit, overLimit, large }.Select(bytes => queue.EnqueueAsync(Envelope(), WriteInPieces(bytes), CancellationToken.None)));
        }

        var files = System.IO.Directory.GetFiles(Path.Combine(dir.Path, "data")).Select(Path.GetFileNameWithoutExtension).Order().ToList();
        Assert.Equal(new[] { ids[1], ids[2] }.Order(), files);

        using var reopened = await MessageQueue.OpenAsync(dir.Path, options);
        Assert.Equal(atLimit, await ReadAsync(reopened, ids[0]));
        Assert.Equal(overLimit, await ReadAsync(reopened, ids[1]));
        Assert.Equal(large, await ReadAsync(reopened, ids[2]));
        Assert.Equal([Limit, Limit + 1, 300_000], (await Task.WhenAll(ids.Select(id => reopened.GetAsync(id, CancellationToken.None)))).Select(m => m!.Size));

        // Each way out of the queue, for an inline message and one with a file: the file goes with the last record
        // (and only an inline message's record skips the unlink).
        Assert.True(await reopened.RecordAsync(ids[0], [RecipientOutcome.Delivered(0), RecipientOutcome.Delivered(1)], CancellationToken.None));
        Assert.True(await reopened.RecordAsync(ids[1], [RecipientOutcome.Delivered(0), RecipientOutcome.Failed(1, "550 no")], CancellationToken.None));
        Assert.Equal([ids[2]], System.IO.Directory.GetFiles(Path.Combine(dir.Path, "data")).Select(Path.GetFileNameWithoutExtension));
        Assert.True(await reopened.RemoveAsync(ids[2], CancellationToken.None));
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(dir.Path, "data")));
        Assert.All(ids, id => Assert.Throws<FileNotFoundException>(() => reopened.OpenData(id)));
    }

    [Fact]
    public async Task An_inline_message_whose_commit_fails_leaves_nothing_queued()
    {
        using var dir = new TempDirectory();
        using var queue = await MessageQueue.OpenAsync(dir.Path);
        var message = Bytes(100, 'x');

        await Assert.ThrowsAsync<InvalidOperationException>(() => queue.EnqueueAsync(
            Envelope(),
            async (file, ct) =>
            {
                await file.WriteAsync(message, ct);
                throw new InvalidOperationException("the writer failed half-way");
            },
            CancellationToken.None));
        var id = await queue.EnqueueAsync(Envelope(), new MemoryStream(message), CancellationToken.None);

        Assert.Equal(id, Assert.Single(await queue.ListAsync(CancellationToken.None)).Id);
        Assert.Equal(message, await ReadAsync(queue, id));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData((1024 * 1024) + 1)]
    public async Task An_inline_limit_out_of_range_is_refused_at_open(int limit)
    {
        using var dir = new TempDirectory();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => MessageQueue.OpenAsync(dir.Path, new MessageQueueOptions { InlineMessageMaxBytes = limit }));
    }

    private static byte[] Bytes(int length, char fill)
    {
        var bytes = new byte[length];
        bytes.AsSpan().Fill((byte)fill);
        Encoding.ASCII.GetBytes("Subject: x\r\n\r\n").CopyTo(bytes, 0);
        return bytes;
    }

    private static Func<Stream, CancellationToken, Task> WriteInPieces(byte[] bytes) => async (file, ct) =>
    {
        for (var offset = 0; offset < bytes.Length; offset += 700)
        {
            await file.WriteAsync(bytes.AsMemory(offset, Math.Min(700, bytes.Length - offset)), ct);
        }
    };

    private static async Task<byte[]> ReadAsync(MessageQueue queue, string id)
    {
        await using var data = queue.OpenData(id);
        using var copy = new MemoryStream();
        await data.CopyToAsync(copy);
        return copy.ToArray();
    }
}
