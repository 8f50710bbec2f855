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
    public async Task The_trigram_index_finds_substrings_and_follows_every_change()
    {
        using var dir = new TempDirectory();
        var (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            await inbox.AppendAsync(Message("Death Star plans"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.AppendAsync(Message("Grüße from \"Hoth\" AND (Endor): *all* NEAR"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.AppendAsync(Message("Emoji 🚀 launch: aaa"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.AppendAsync(Message("Death Star, second draft"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);

            async Task<uint[]> Search(string value) => (await inbox.SearchHeaderAsync("SUBJECT", value, CancellationToken.None))!.Order().ToArray();

            Assert.Equal(new uint[] { 1u, 4u }, await Search("ATH ST"));
            Assert.Equal(new uint[] { 2u }, await Search("grüsse".Replace("ss", "ß", StringComparison.Ordinal)));
            // FTS5 query syntax in the value is only text: quotes, AND, parentheses, colon, star, NEAR.
            Assert.Equal(new uint[] { 2u }, await Search("\"hoth\" and (endor): *all* near"));
            Assert.Equal(new uint[] { 2u }, await Search("\""));
            Assert.Equal(new uint[] { 3u }, await Search("🚀 L"));
            Assert.Equal(new uint[] { 1u, 2u, 3u, 4u }, await Search("e"));
            // Message 3 holds the one trigram of "aaaa" but not the substring: the index narrows, the exact test decides.
            Assert.Empty(await Search("aaaa"));

            // Flag changes, an expunge and a rescan of a file dropped into new/ keep the index equal to the rows.
            await inbox.ChangeFlagsAsync(new HashSet<uint> { 1 }, f => f | MessageFlags.Deleted, CancellationToken.None);
            await inbox.ExpungeAsync((uid, _) => uid == 1, CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(store.GetMaildirPath(Luke), "new", "1700000000.x.host"), "Subject: Death Star returns\r\n\r\nx\r\n");
            // inotify tells the store in its own time: wait for it (not a timing assertion).
            for (var waited = 0; (await inbox.SnapshotAsync(CancellationToken.None)).Count < 4 && waited < 200; waited++)
            {
                await Task.Delay(50);
            }

            Assert.Equal(new uint[] { 4u, 5u }, await Search("death star"));
            Assert.Equal("ok", IntegrityCheck(store.GetMaildirPath(Luke)));
        }
    }

    [Fact]
    public async Task An_index_from_before_the_trigram_index_gets_one_on_open()
    {
        using var dir = new TempDirectory();
        var (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            await inbox.AppendAsync(Message("Death Star plans"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.AppendAsync(Message("Cantina band"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
        }

        // What version 1 left on disk: the rows without message_text.
        var path = Path.Combine(store.GetMaildirPath(Luke), MailboxIndex.FileName);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "DROP TABLE message_text; PRAGMA user_version = 1;";
            command.ExecuteNonQuery();
        }

        (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            Assert.Equal([2u], (await inbox.SearchHeaderAsync("SUBJECT", "tina b", CancellationToken.None))!.Order());
            Assert.Equal(0, inbox.FullScans);
            Assert.Equal("ok", IntegrityCheck(store.GetMaildirPath(Luke)));
        }
    }

    // Issue #19: a clean shutdown leaves a large mailbox's UIDs and flags as one blob, so the first SELECT after a
    // restart reads no row; any commit after it (here a flag change, then a stop without the clean shutdown) must make
    // the next start read the rows, or the change would be lost.
    [Fact]
    public async Task A_clean_shutdown_leaves_a_flag_snapshot_that_any_later_change_discards()
    {
        const int count = 1050;
        using var dir = new TempDirectory();
        var store = new MaildirStore(dir.Path);
        var cur = Path.Combine(store.GetMaildirPath(Luke), "cur");
        System.IO.Directory.CreateDirectory(cur);
        System.IO.Directory.CreateDirectory(Path.Combine(store.GetMaildirPath(Luke), "new"));
        System.IO.Directory.CreateDirectory(Path.Combine(store.GetMaildirPath(Luke), "tmp"));
        for (var i = 1; i <= count; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(cur, $"{1_790_000_000 + i}.M{i}P1.snap:2,{(i % 3 == 0 ? "S" : "")}"), $"Subject: m{i}\r\n\r\nx\r\n");
        }

        var inbox = (MaildirMailbox)store.OpenAccount(Luke).Get("INBOX");
        await inbox.ChangeFlagsAsync(new HashSet<uint> { 7 }, f => f | MessageFlags.Flagged, CancellationToken.None);
        var before = await inbox.SnapshotAsync(CancellationToken.None);
        var expected = before.Uids.ToArray().Zip(before.AllFlags.ToArray()).ToList();
        store.Dispose();

        (store, inbox) = await OpenAsync(dir.Path);
        var restarted = await inbox.SnapshotAsync(CancellationToken.None);
        Assert.Equal(1, inbox.FlagSnapshotLoads);
        Assert.Equal(0, inbox.FullScans);
        Assert.Equal(expected, restarted.Uids.ToArray().Zip(restarted.AllFlags.ToArray()).ToList());
        Assert.Equal(before.UidNext, restarted.UidNext);

        // A change, then a stop with no snapshot written (as a crash): the stale snapshot must not be read.
        await inbox.ChangeFlagsAsync(new HashSet<uint> { 8 }, f => f | MessageFlags.Answered, CancellationToken.None);
        inbox.Dispose();
        store.Dispose();

        (store, inbox) = await OpenAsync(dir.Path);
        using (store)
        {
            var after = await inbox.SnapshotAsync(CancellationToken.None);
            Assert.Equal(0, inbox.FlagSnapshotLoads);
            Assert.Equal(MessageFlags.Answered, after.AllFlags[7] & MessageFlags.Answered);
            Assert.Equal(MessageFlags.Flagged, after.AllFlags[6] & MessageFlags.Flagged);
            Assert.Equal(count, after.Count);
            // The 1,050 rows of the first build went into the trigram index by one statement: it must match them.
            Assert.Equal([1000u], (await inbox.SearchHeaderAsync("SUBJECT", "m1000", CancellationToken.None))!.Order());
            Assert.Equal("ok", IntegrityCheck(store.GetMaildirPath(Luke)));
        }
    }

    [Theory]
    [InlineData("ab", null)]
    [InlineData("abc", "subject : (\"abc\")")]
    [InlineData("a\"bc", "subject : (\"a\"\"b\" AND \"\"\"bc\")")]
    [InlineData("aaaaa", "subject : (\"aaa\")")]
    [InlineData("🚀ab", "subject : (\"🚀ab\")")]
    public void A_value_becomes_quoted_trigrams(string value, string? query)
    {
        Assert.Equal(query, MailboxIndex.TrigramQuery("subject", value));
    }

    [Fact]
    public void A_long_value_names_a_bounded_number_of_trigrams_from_all_of_it()
    {
        var value = string.Concat(Enumerable.Range(0, 200).Select(i => (char)('A' + (i % 26)))) + "XYZ";
        var query = MailboxIndex.TrigramQuery("subject", value)!;

        Assert.True(query.Split(" AND ").Length <= 24, query);
        Assert.Contains("\"XYZ\"", query, StringComparison.Ordinal);
    }

    // FTS5's own check of an external-content index against its table (https://sqlite.org/fts5.html §6.7, rank 1).
    private static string IntegrityCheck(string maildir)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(maildir, MailboxIndex.FileName)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO message_text (message_text, rank) VALUES ('integrity-check', 1)";
        try
        {
            command.ExecuteNonQuery();
            return "ok";
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            return e.Message;
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
