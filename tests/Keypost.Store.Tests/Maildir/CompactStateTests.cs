using System.Text;
using Keypost.Core.Addresses;
using Keypost.Store.Maildir;
using Keypost.Testing;
using Microsoft.Data.Sqlite;

namespace Keypost.Store.Tests.Maildir;

/// <summary>
/// Issue #19: a mailbox keeps only UIDs and flags in memory and reads rows from its index when asked. States handed
/// out stay as they were while the mailbox changes, and an index written by the previous layout is upgraded in place.
/// </summary>
public sealed class CompactStateTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    private static MemoryStream Message(string subject) => new(Encoding.UTF8.GetBytes($"From: leia@rebel.test\r\nSubject: {subject}\r\n\r\nbody {subject}\r\n"));

    [Fact]
    public async Task A_state_handed_out_is_not_changed_by_later_appends_flag_changes_or_expunges()
    {
        using var dir = new TempDirectory();
        using var store = new MaildirStore(dir.Path);
        var inbox = store.OpenAccount(Luke).Get("INBOX");
        for (var i = 0; i < 3; i++)
        {
            await inbox.AppendAsync(Message("m" + i), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
        }

        var first = await inbox.SnapshotAsync(CancellationToken.None);
        await inbox.AppendAsync(Message("m3"), MessageFlags.Seen, DateTimeOffset.UtcNow, CancellationToken.None);
        var second = await inbox.SnapshotAsync(CancellationToken.None);
        await inbox.ChangeFlagsAsync(new HashSet<uint> { 1 }, f => f | MessageFlags.Flagged | MessageFlags.Deleted, CancellationToken.None);
        var third = await inbox.SnapshotAsync(CancellationToken.None);
        await inbox.ExpungeAsync((_, flags) => flags.HasFlag(MessageFlags.Deleted), CancellationToken.None);
        var fourth = await inbox.SnapshotAsync(CancellationToken.None);

        Assert.Equal([1u, 2u, 3u], first.Uids.ToArray());
        Assert.Equal([MessageFlags.None, MessageFlags.None, MessageFlags.None], first.AllFlags.ToArray());
        Assert.Equal([1u, 2u, 3u, 4u], second.Uids.ToArray());
        Assert.Equal(MessageFlags.None, second.FlagsAt(0));
        Assert.Equal(MessageFlags.Flagged | MessageFlags.Deleted, third.FlagsAt(0));
        Assert.Equal([2u, 3u, 4u], fourth.Uids.ToArray());
        Assert.Equal([MessageFlags.None, MessageFlags.None, MessageFlags.Seen], fourth.AllFlags.ToArray());
        // A row looked up through an old state: gone once expunged, and with the state's flags while there.
        Assert.Null(first.Find(1));
        Assert.Equal(MessageFlags.None, first.Find(2)!.Flags);
        Assert.Equal(MessageFlags.Seen, fourth.Find(4)!.Flags);
        Assert.Equal([2u, 3u, 4u], fourth.FindMany([2u, 4u, 3u, 9u]).Select(e => e.Uid).Order());
    }

    [Fact]
    public async Task An_index_of_the_previous_layout_is_upgraded_keeping_uids_and_flags_without_listing_the_folder()
    {
        using var dir = new TempDirectory();
        uint validity;
        string indexPath;
        using (var store = new MaildirStore(dir.Path))
        {
            var inbox = (MaildirMailbox)store.OpenAccount(Luke).Get("INBOX");
            validity = (await inbox.AppendAsync(Message("a"), MessageFlags.Seen, DateTimeOffset.UtcNow, CancellationToken.None)).UidValidity;
            await inbox.AppendAsync(Message("b"), MessageFlags.Flagged | MessageFlags.Answered, DateTimeOffset.UtcNow, CancellationToken.None);
            await inbox.AppendAsync(Message("c"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
            indexPath = Path.Combine(store.GetMaildirPath(Luke), MailboxIndex.FileName);
        }

        // The layout before issue #19's compact state: no flags column, the four-column listing index, user_version 0.
        using (var connection = new SqliteConnection($"Data Source={indexPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                DROP INDEX message_flags; DROP INDEX message_name; ALTER TABLE message DROP COLUMN flags;
                CREATE INDEX message_listing ON message (uid, name, size, internal_date); PRAGMA user_version = 0;
                """;
            command.ExecuteNonQuery();
        }

        using (var store = new MaildirStore(dir.Path))
        {
            var inbox = (MaildirMailbox)store.OpenAccount(Luke).Get("INBOX");
            var state = await inbox.SnapshotAsync(CancellationToken.None);

            Assert.Equal(0, inbox.FullScans);
            Assert.Equal(validity, state.UidValidity);
            Assert.Equal([1u, 2u, 3u], state.Uids.ToArray());
            Assert.Equal([MessageFlags.Seen, MessageFlags.Flagged | MessageFlags.Answered, MessageFlags.None], state.AllFlags.ToArray());
            Assert.EndsWith(":2,FR", state.Find(2)!.RelativePath, StringComparison.Ordinal);
        }

        using (var connection = new SqliteConnection($"Data Source={indexPath};Pooling=False;Mode=ReadOnly"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' AND name LIKE 'message_%'";
            var indexes = ((string)command.ExecuteScalar()!).Split(',').Order().ToArray();
            Assert.Equal(["message_flags", "message_name"], indexes);
        }
    }
}
