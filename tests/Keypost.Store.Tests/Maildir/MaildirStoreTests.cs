using System.Text;
using Keypost.Core.Addresses;
using Keypost.Store.Maildir;
using Keypost.Testing;

namespace Keypost.Store.Tests.Maildir;

public sealed class MaildirStoreTests
{
    [Fact]
    public async Task DeliveryCreatesTheMaildirAndPublishesIntoNew()
    {
        using var dir = new TempDirectory();
        var store = new MaildirStore(dir.Path);
        var luke = EmailAddress.Parse("Luke@Jedi.test");

        var path = await store.DeliverAsync(luke, new MemoryStream("Subject: x\r\n\r\nhi\r\n"u8.ToArray()), CancellationToken.None);

        var maildir = Path.Combine(dir.Path, "jedi.test", "luke", "Maildir");
        Assert.Equal(maildir, store.GetMaildirPath(luke));
        Assert.Equal(Path.Combine(maildir, "new"), Path.GetDirectoryName(path));
        Assert.True(System.IO.Directory.Exists(Path.Combine(maildir, "cur")));
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(maildir, "tmp")));
        Assert.Equal("Subject: x\r\n\r\nhi\r\n", await File.ReadAllTextAsync(path));
        Assert.Matches(@"^\d+\.M\d+P\d+R[0-9a-f]{16}\..+$", Path.GetFileName(path));
    }

    // An owner holding the store as IMailStore (the CLI's encrypt-mailbox, the mail host) closes it with
    // `await using (store as IAsyncDisposable)`: MaildirStore must be one, or every open index and inotify watch leaks.
    [Fact]
    public async Task An_owner_holding_an_IMailStore_closes_every_index_it_opened()
    {
        using var dir = new TempDirectory();
        var luke = EmailAddress.Parse("luke@jedi.test");
        IMailStore store = new MaildirStore(dir.Path);
        string maildir;
        await using (store as IAsyncDisposable)
        {
            var account = store.OpenAccount(luke);
            account.Create("Archive");
            foreach (var name in (string[])["INBOX", "Archive"])
            {
                await account.Get(name).AppendAsync(new MemoryStream("Subject: x\r\n\r\nhi\r\n"u8.ToArray()), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            }

            maildir = ((MaildirStore)store).GetMaildirPath(luke);
            Assert.True(File.Exists(Path.Combine(maildir, MailboxIndex.FileName + "-wal")));
        }

        // SQLite checkpoints and deletes the write-ahead log when the last connection to the database closes.
        Assert.False(File.Exists(Path.Combine(maildir, MailboxIndex.FileName + "-wal")));
        Assert.False(File.Exists(Path.Combine(maildir, ".Archive", MailboxIndex.FileName + "-wal")));
        Assert.True(File.Exists(Path.Combine(maildir, MailboxIndex.FileName)));
    }

    // The directories are made only when a delivery cannot create its file (no stat calls per message): one
    // removed after the first delivery (by an operator, a restore) is made again by the next, not a failure.
    [Theory]
    [InlineData("tmp")]
    [InlineData("new")]
    public async Task A_Maildir_directory_removed_after_the_first_delivery_is_made_again(string removed)
    {
        using var dir = new TempDirectory();
        var store = new MaildirStore(dir.Path);
        var luke = EmailAddress.Parse("luke@jedi.test");
        var first = await store.DeliverAsync(luke, new MemoryStream("Subject: 1\r\n\r\none\r\n"u8.ToArray()), CancellationToken.None);
        var maildir = store.GetMaildirPath(luke);
        if (removed == "new")
        {
            File.Delete(first);
        }

        System.IO.Directory.Delete(Path.Combine(maildir, removed));

        var second = await store.DeliverAsync(luke, new MemoryStream("Subject: 2\r\n\r\ntwo\r\n"u8.ToArray()), CancellationToken.None);

        Assert.Equal("Subject: 2\r\n\r\ntwo\r\n", await File.ReadAllTextAsync(second));
        Assert.Equal(Path.Combine(maildir, "new"), Path.GetDirectoryName(second));
        Assert.All((string[])["tmp", "new", "cur"], d => Assert.True(System.IO.Directory.Exists(Path.Combine(maildir, d))));
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(maildir, "tmp")));
    }

    [Fact]
    public async Task TwoDeliveriesGetTwoFiles()
    {
        using var dir = new TempDirectory();
        var store = new MaildirStore(dir.Path);
        var luke = EmailAddress.Parse("luke@jedi.test");

        var a = await store.DeliverAsync(luke, new MemoryStream("a"u8.ToArray()), CancellationToken.None);
        var b = await store.DeliverAsync(luke, Encoding.UTF8.GetBytes("Return-Path: <>\r\n"), new MemoryStream("b"u8.ToArray()), CancellationToken.None);

        Assert.NotEqual(a, b);
        Assert.Equal("Return-Path: <>\r\nb", await File.ReadAllTextAsync(b));
        Assert.Equal(2, System.IO.Directory.GetFiles(Path.GetDirectoryName(a)!).Length);
    }

    [Fact]
    public async Task Each_kind_of_source_is_written_whole_from_its_position_after_the_prefix()
    {
        using var dir = new TempDirectory();
        var store = new MaildirStore(dir.Path);
        var luke = EmailAddress.Parse("luke@jedi.test");
        var prefix = "Return-Path: <leia@rebel.test>\r\n"u8.ToArray();
        var body = Encoding.ASCII.GetBytes("skipped|Subject: x\r\n\r\n" + new string('y', 70_000) + "\r\n");
        var expected = "Return-Path: <leia@rebel.test>\r\n" + Encoding.ASCII.GetString(body)["skipped|".Length..];
        var file = Path.Combine(dir.Path, "queued.eml");
        await File.WriteAllBytesAsync(file, body);

        // A queued message's bytes from the database (one pwritev), from a data file, and from any other stream.
        Stream[] sources =
        [
            new MemoryStream(body, 0, body.Length, writable: false, publiclyVisible: true),
            new FileStream(file, FileMode.Open, FileAccess.Read),
            new BufferedStream(new MemoryStream(body)),
        ];
        foreach (var source in sources)
        {
            await using (source)
            {
                source.Position = "skipped|".Length;
                var path = await store.DeliverAsync(luke, prefix, source, CancellationToken.None);
                Assert.Equal(expected, await File.ReadAllTextAsync(path));
                Assert.Equal(source.Length, source.Position);
            }
        }
    }

    [Fact]
    public void LocalPartsCannotLeaveTheirDomainDirectory()
    {
        using var dir = new TempDirectory();
        var store = new MaildirStore(dir.Path);

        var path = store.GetMaildirPath(EmailAddress.Parse("\"../../x/y\"@jedi.test"));

        Assert.StartsWith(Path.Combine(dir.Path, "jedi.test") + Path.DirectorySeparatorChar, Path.GetFullPath(path), StringComparison.Ordinal);
        Assert.Equal(3, Path.GetRelativePath(dir.Path, path).Split(Path.DirectorySeparatorChar).Length);
    }
}
