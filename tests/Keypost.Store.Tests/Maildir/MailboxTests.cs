using System.Text;
using Keypost.Core.Addresses;
using Keypost.Store.Maildir;
using Keypost.Testing;

namespace Keypost.Store.Tests.Maildir;

/// <summary>The store's mailbox interface as IMAP uses it: UIDs, flags, copy and move, and change notification.</summary>
public sealed class MailboxTests
{
    private static readonly EmailAddress Luke = EmailAddress.Parse("luke@jedi.test");

    // A guard against a hang, not a timing assertion: a missed notification fails instead of blocking the run.
    private static CancellationToken Guard() => new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    private static MemoryStream Message(string subject) => new(Encoding.UTF8.GetBytes($"Subject: {subject}\r\n\r\nbody\r\n"));

    [Fact]
    public async Task Append_copy_and_move_keep_uids_flags_and_contents()
    {
        using var dir = new TempDirectory();
        using var store = new MaildirStore(dir.Path);
        var account = store.OpenAccount(Luke);
        account.Create("Archive");
        var inbox = account.Get("INBOX");
        var archive = account.Get("Archive");

        var (validity, first) = await inbox.AppendAsync(Message("one"), MessageFlags.Flagged, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), CancellationToken.None);
        var (_, second) = await inbox.AppendAsync(Message("two"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
        var copied = await inbox.CopyAsync([first, second, 99], archive, move: false, CancellationToken.None);
        var moved = await inbox.CopyAsync([first], archive, move: true, CancellationToken.None);

        Assert.Equal(2u, second);
        Assert.Equal([first, second], copied.SourceUids);
        Assert.Equal([1u, 2u], copied.TargetUids);
        Assert.Equal([3u], moved.TargetUids);
        var inboxState = await inbox.SnapshotAsync(CancellationToken.None);
        Assert.Equal(validity, inboxState.UidValidity);
        Assert.Equal([second], inboxState.Messages.Select(m => m.Uid));
        var archived = await archive.SnapshotAsync(CancellationToken.None);
        Assert.Equal(3, archived.Messages.Count);
        Assert.Equal(MessageFlags.Flagged, archived.Messages[0].Flags);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), archived.Messages[0].InternalDate);
        await using var read = archive.OpenMessage(archived.Messages[2])!;
        Assert.StartsWith("Subject: one", await new StreamReader(read).ReadToEndAsync());
    }

    [Fact]
    public async Task Flag_changes_and_expunge_raise_the_version_and_wake_a_waiter()
    {
        using var dir = new TempDirectory();
        using var store = new MaildirStore(dir.Path);
        var inbox = store.OpenAccount(Luke).Get("INBOX");
        var (_, uid) = await inbox.AppendAsync(Message("one"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);

        var seen = inbox.Version;
        var waiting = inbox.WaitForChangeAsync(seen, Guard());
        await inbox.ChangeFlagsAsync(new HashSet<uint> { uid }, f => f | MessageFlags.Deleted, CancellationToken.None);
        await waiting;
        var afterFlags = inbox.Version;
        var removed = await inbox.ExpungeAsync(m => m.Flags.HasFlag(MessageFlags.Deleted), CancellationToken.None);

        Assert.NotEqual(seen, afterFlags);
        Assert.Equal([uid], removed);
        Assert.NotEqual(afterFlags, inbox.Version);
        Assert.Empty((await inbox.SnapshotAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task A_delivery_wakes_a_waiter_and_lands_in_the_folder_queue_metadata_named()
    {
        using var dir = new TempDirectory();
        using var store = new MaildirStore(dir.Path);
        var account = store.OpenAccount(Luke);
        account.Create("Junk");
        var junk = account.Get("Junk");
        await junk.SnapshotAsync(CancellationToken.None);

        var waiting = junk.WaitForChangeAsync(junk.Version, Guard());
        await store.DeliverAsync(Luke, "Junk", "Return-Path: <>\r\n"u8.ToArray(), Message("spam?"), CancellationToken.None);
        await waiting;

        var state = await junk.SnapshotAsync(CancellationToken.None);
        var entry = Assert.Single(state.Messages);
        await using var read = junk.OpenMessage(entry)!;
        Assert.Equal("Return-Path: <>\r\nSubject: spam?\r\n\r\nbody\r\n", await new StreamReader(read).ReadToEndAsync());
        Assert.Empty((await account.Get("INBOX").SnapshotAsync(CancellationToken.None)).Messages);
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeliverAsync(Luke, "../x", ReadOnlyMemory<byte>.Empty, Message("x"), CancellationToken.None));
    }

    [Fact]
    public async Task A_file_another_program_drops_into_new_wakes_a_waiter()
    {
        using var dir = new TempDirectory();
        using var store = new MaildirStore(dir.Path);
        var inbox = store.OpenAccount(Luke).Get("INBOX");
        await inbox.SnapshotAsync(CancellationToken.None);

        var seen = inbox.Version;
        var waiting = inbox.WaitForChangeAsync(seen, Guard());
        var maildir = store.GetMaildirPath(Luke);
        await File.WriteAllTextAsync(Path.Combine(maildir, "tmp", "1700000000.M1P1.elsewhere"), "Subject: outside\r\n\r\nx\r\n");
        File.Move(Path.Combine(maildir, "tmp", "1700000000.M1P1.elsewhere"), Path.Combine(maildir, "new", "1700000000.M1P1.elsewhere"));
        await waiting;

        var entry = Assert.Single((await inbox.SnapshotAsync(CancellationToken.None)).Messages);
        Assert.Equal(1u, entry.Uid);
    }

    [Fact]
    public void Mailbox_names_keep_to_the_rules()
    {
        Assert.Equal("INBOX", MailboxNames.Normalize("inbox"));
        Assert.Equal("Archive.2024", MailboxNames.Normalize("Archive.2024."));
        Assert.Null(MailboxNames.Normalize("../etc"));
        Assert.Null(MailboxNames.Normalize(".hidden"));
        Assert.True(MailboxNames.IsDeliveryFolder("Junk"));
        Assert.False(MailboxNames.IsDeliveryFolder("Junk.Sub"));
    }
}
