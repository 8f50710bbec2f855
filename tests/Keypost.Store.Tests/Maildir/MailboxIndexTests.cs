using System.Text;
using Keypost.Core.Addresses;
using Keypost.Store.Maildir;
using Keypost.Testing;

namespace Keypost.Store.Tests.Maildir;

/// <summary>Issue #19: the per-mailbox index is trusted on restart, checked cheaply, and answers header searches.</summary>
public sealed class MailboxIndexTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    private static MemoryStream Message(string subject, string from = "Leia <leia@rebel.test>") =>
        new(Encoding.UTF8.GetBytes($"From: {from}\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n"));

    private static async Task<(MaildirStore Store, MaildirMailbox Inbox)> OpenAsync(string root)
    {
        var store = new MaildirStore(root);
        var inbox = (MaildirMailbox)store.OpenAccount(Luke).Get("INBOX");
        await inbox.SnapshotAsync(CancellationToken.None);
        return (store, inbox);
    }

    [Fact]
    public async Task A_restart_trusts_the_index_without_listing_the_folder()
    {
        using var dir = new TempDirectory();
        MailboxState before;
        List<MessageEntry> rowsBefore;
        var (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            await inbox.AppendAsync(Message("one"), MessageFlags.Seen, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), CancellationToken.None);
            await inbox.AppendAsync(Message("two"), MessageFlags.None, DateTimeOffset.FromUnixTimeSeconds(1_700_000_100), CancellationToken.None);
            await inbox.ChangeFlagsAsync(new HashSet<uint> { 2 }, f => f | MessageFlags.Flagged, CancellationToken.None);
            before = await inbox.SnapshotAsync(CancellationToken.None);
            // A state's rows are read from the index when asked for: before it closes.
            rowsBefore = before.Messages.ToList();
        }

        (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            var after = await inbox.SnapshotAsync(CancellationToken.None);

            Assert.Equal(0, inbox.FullScans);
            Assert.Equal(before.UidValidity, after.UidValidity);
            Assert.Equal(before.UidNext, after.UidNext);
            Assert.Equal(2, rowsBefore.Count);
            Assert.Equal(rowsBefore, after.Messages);
        }
    }

    [Fact]
    public async Task Changes_made_while_stopped_fail_the_check_and_are_found_by_one_listing()
    {
        using var dir = new TempDirectory();
        uint validity;
        string[] files;
        var (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            validity = (await inbox.AppendAsync(Message("one"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None)).UidValidity;
            await inbox.AppendAsync(Message("two"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.AppendAsync(Message("three"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            // In UID order. Not the names' order: their microseconds are not zero-padded, so it differs now and then.
            files = (await inbox.SnapshotAsync(CancellationToken.None)).Messages.Select(inbox.FullPath).ToArray();
        }

        // Another program (a Maildir client, a restore) sets a flag on one and deletes another while we are down.
        await Task.Delay(50); // Directory timestamps must move on (ext4's clock tick), not a timing assertion.
        File.Move(files[0], files[0] + "S");
        File.Delete(files[1]);

        (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            var after = await inbox.SnapshotAsync(CancellationToken.None);

            Assert.Equal(1, inbox.FullScans);
            Assert.Equal(validity, after.UidValidity);
            Assert.Equal([1u, 3u], after.Messages.Select(m => m.Uid));
            Assert.Equal(MessageFlags.Seen, after.Messages[0].Flags);
            Assert.Equal(4u, after.UidNext);
        }
    }

    [Fact]
    public async Task Uids_from_an_older_keypost_uids_file_are_kept()
    {
        using var dir = new TempDirectory();
        using var store = new MaildirStore(dir.Path);
        var maildir = store.GetMaildirPath(Luke);
        System.IO.Directory.CreateDirectory(Path.Combine(maildir, "cur"));
        System.IO.Directory.CreateDirectory(Path.Combine(maildir, "new"));
        System.IO.Directory.CreateDirectory(Path.Combine(maildir, "tmp"));
        await File.WriteAllTextAsync(Path.Combine(maildir, "cur", "1700000000.a.host:2,S"), "Subject: a\r\n\r\na\r\n");
        await File.WriteAllTextAsync(Path.Combine(maildir, "cur", "1700000001.b.host:2,"), "Subject: b\r\n\r\nb\r\n");
        await File.WriteAllTextAsync(Path.Combine(maildir, "keypost-uids"), "keypost-uids 1 1234 42\n7 1700000000.a.host\n40 1700000001.b.host\n");

        var state = await store.OpenAccount(Luke).Get("INBOX").SnapshotAsync(CancellationToken.None);

        Assert.Equal(1234u, state.UidValidity);
        Assert.Equal(42u, state.UidNext);
        Assert.Equal([7u, 40u], state.Messages.Select(m => m.Uid));
        Assert.Equal(MessageFlags.Seen, state.Messages[0].Flags);
        Assert.True(state.Messages[1].Size > 0);
    }

    [Fact]
    public async Task Header_search_is_answered_by_the_index()
    {
        using var dir = new TempDirectory();
        var (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            await inbox.AppendAsync(Message("Death Star plans"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.AppendAsync(Message("=?UTF-8?Q?Caf=C3=A9?= at Mos Eisley", "Han <han@falcon.test>"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.AppendAsync(Message("no match"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);

            Assert.Equal([1u], (await inbox.SearchHeaderAsync("SUBJECT", "death star", CancellationToken.None))!.Order());
            Assert.Equal([2u], (await inbox.SearchHeaderAsync("Subject", "café", CancellationToken.None))!.Order());
            Assert.Equal([2u], (await inbox.SearchHeaderAsync("FROM", "FALCON", CancellationToken.None))!.Order());
            Assert.Equal([1u, 2u, 3u], (await inbox.SearchHeaderAsync("subject", "", CancellationToken.None))!.Order());
            Assert.Empty((await inbox.SearchHeaderAsync("CC", "", CancellationToken.None))!);
            Assert.Null(await inbox.SearchHeaderAsync("X-Mailer", "x", CancellationToken.None));
        }
    }

    [Fact]
    public async Task A_session_learns_changes_from_the_journal()
    {
        using var dir = new TempDirectory();
        var (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            await inbox.AppendAsync(Message("one"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            var start = await inbox.UpdatesSinceAsync(long.MaxValue, CancellationToken.None);
            await inbox.AppendAsync(Message("two"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.ChangeFlagsAsync(new HashSet<uint> { 1 }, f => f | MessageFlags.Deleted, CancellationToken.None);
            await inbox.ExpungeAsync(m => m.Flags.HasFlag(MessageFlags.Deleted), CancellationToken.None);

            var update = await inbox.UpdatesSinceAsync(start.Version, CancellationToken.None);

            Assert.NotNull(update.Changes);
            Assert.Equal(
                [(MailboxChangeKind.Added, 2u), (MailboxChangeKind.FlagsChanged, 1u), (MailboxChangeKind.Expunged, 1u)],
                update.Changes.Select(c => (c.Kind, c.Entry.Uid)));
            Assert.Empty((await inbox.UpdatesSinceAsync(update.Version, CancellationToken.None)).Changes!);
            Assert.Equal(0, inbox.FullScans - 1); // The one listing is the first build of the index.
        }
    }
}
