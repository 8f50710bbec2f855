using System.Text;
using Keypost.Core.Addresses;
using Keypost.Testing.Postgres;

namespace Keypost.Store.Tests.Contract;

/// <summary>
/// What every mail store does, as delivery and IMAP use it: UIDs, flags, copy and move, folders, header search,
/// persistence, and change notification, including between two store instances on the same storage (two nodes, or a
/// restart). One subclass per storage kind runs the same tests (Maildir, PostgreSQL).
/// </summary>
public abstract class MailStoreContract : IAsyncLifetime
{
    private readonly List<IMailStore> _opened = [];

    // A fresh account per test: the PostgreSQL classes share one database per class.
    protected EmailAddress Luke { get; } = EmailAddress.Parse($"luke-{Guid.NewGuid():N}@jedi.test");

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _opened)
        {
            switch (store)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    /// <summary>A store on this test's storage: each call is another instance on the same data (another node).</summary>
    protected abstract Task<IMailStore> CreateStoreAsync();

    [ContractFact]
    public async Task Append_copy_and_move_keep_uids_flags_and_contents()
    {
        var store = await OpenAsync();
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
        Assert.Equal(4u, archived.UidNext);
        Assert.Equal(MessageFlags.Flagged, archived.Messages[0].Flags);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), archived.Messages[0].InternalDate);
        await using var read = archive.OpenMessage(archived.Messages[2])!;
        Assert.StartsWith("Subject: one", await new StreamReader(read).ReadToEndAsync());
    }

    [ContractFact]
    public async Task Flag_changes_and_expunge_raise_the_version_wake_a_waiter_and_are_reported_as_changes()
    {
        var store = await OpenAsync();
        var inbox = store.OpenAccount(Luke).Get("INBOX");
        var (_, uid) = await inbox.AppendAsync(Message("one"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
        var (_, kept) = await inbox.AppendAsync(Message("two"), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
        var start = await inbox.UpdatesSinceAsync(long.MaxValue, CancellationToken.None);

        var seen = inbox.Version;
        var waiting = inbox.WaitForChangeAsync(seen, Guard());
        await inbox.ChangeFlagsAsync(new HashSet<uint> { uid }, f => f | MessageFlags.Deleted, CancellationToken.None);
        await waiting;
        var afterFlags = inbox.Version;
        var flagged = await inbox.UpdatesSinceAsync(start.Version, CancellationToken.None);
        var removed = await inbox.ExpungeAsync(m => m.Flags.HasFlag(MessageFlags.Deleted), CancellationToken.None);
        var expunged = await inbox.UpdatesSinceAsync(flagged.Version, CancellationToken.None);

        Assert.NotEqual(seen, afterFlags);
        var change = Assert.Single(flagged.Changes!);
        Assert.Equal((MailboxChangeKind.FlagsChanged, uid, MessageFlags.Deleted), (change.Kind, change.Entry.Uid, change.Entry.Flags));
        Assert.Equal([uid], removed);
        Assert.NotEqual(afterFlags, inbox.Version);
        Assert.Equal((MailboxChangeKind.Expunged, uid), (Assert.Single(expunged.Changes!).Kind, expunged.Changes![0].Entry.Uid));
        Assert.Equal([kept], (await inbox.SnapshotAsync(CancellationToken.None)).Messages.Select(m => m.Uid));
        Assert.Empty((await inbox.UpdatesSinceAsync(expunged.Version, CancellationToken.None)).Changes!);
    }

    [ContractFact]
    public async Task A_delivery_wakes_a_waiter_and_lands_in_the_folder_queue_metadata_named()
    {
        var store = await OpenAsync();
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

    [ContractFact]
    public async Task A_delivery_into_a_folder_never_opened_creates_it()
    {
        var store = await OpenAsync();

        await store.DeliverAsync(Luke, "Junk", ReadOnlyMemory<byte>.Empty, Message("first"), CancellationToken.None);

        var account = store.OpenAccount(Luke);
        Assert.Equal(["INBOX", "Junk"], account.List());
        Assert.Equal(1u, Assert.Single((await account.Get("Junk").SnapshotAsync(CancellationToken.None)).Messages).Uid);
    }

    [ContractFact]
    public async Task Folders_are_created_listed_renamed_with_their_children_and_deleted()
    {
        var store = await OpenAsync();
        var account = store.OpenAccount(Luke);
        account.Create("Work");
        account.Create("Work.2024");
        account.Create("Archive");
        var (validity, _) = await account.Get("Work").AppendAsync(Message("kept"), MessageFlags.Seen, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Equal(["INBOX", "Archive", "Work", "Work.2024"], account.List());
        Assert.True(account.HasChildren("Work"));
        Assert.False(account.HasChildren("Archive"));
        Assert.True(account.Exists("inbox"));

        account.Rename("Work", "Jobs");
        account.Delete("Archive");

        Assert.Equal(["INBOX", "Jobs", "Jobs.2024"], account.List());
        Assert.False(account.Exists("Work"));
        var jobs = await account.Get("Jobs").SnapshotAsync(CancellationToken.None);
        Assert.Equal(validity, jobs.UidValidity);
        Assert.Equal(MessageFlags.Seen, Assert.Single(jobs.Messages).Flags);
    }

    [ContractFact]
    public async Task Header_search_finds_the_indexed_fields_case_insensitively()
    {
        var store = await OpenAsync();
        var inbox = store.OpenAccount(Luke).Get("INBOX");
        await inbox.AppendAsync(new MemoryStream("From: Leia <leia@rebel.test>\r\nSubject: Death Star plans\r\n\r\nx\r\n"u8.ToArray()), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);
        var (_, second) = await inbox.AppendAsync(new MemoryStream("From: han@rebel.test\r\nSubject: =?UTF-8?Q?Caf=C3=A9?=\r\n\r\nx\r\n"u8.ToArray()), MessageFlags.None, DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Equal([1u], (await inbox.SearchHeaderAsync("SUBJECT", "death star", CancellationToken.None))!);
        Assert.Equal([second], (await inbox.SearchHeaderAsync("subject", "café", CancellationToken.None))!);
        Assert.Equal([1u, second], (await inbox.SearchHeaderAsync("FROM", "REBEL.TEST", CancellationToken.None))!.Order());
        Assert.Empty((await inbox.SearchHeaderAsync("Cc", "", CancellationToken.None))!);
        Assert.Null(await inbox.SearchHeaderAsync("X-Mailer", "x", CancellationToken.None));
    }

    [ContractFact]
    public async Task Another_instance_on_the_same_storage_sees_the_same_uids_and_wakes_for_a_delivery_made_by_the_first()
    {
        var nodeA = await OpenAsync();
        var nodeB = await OpenAsync();
        await nodeA.DeliverAsync(Luke, null, ReadOnlyMemory<byte>.Empty, Message("first"), CancellationToken.None);
        var inboxB = nodeB.OpenAccount(Luke).Get("INBOX");
        var before = await inboxB.UpdatesSinceAsync(long.MaxValue, CancellationToken.None);

        var waiting = inboxB.WaitForChangeAsync(before.Version, Guard());
        await nodeA.DeliverAsync(Luke, null, ReadOnlyMemory<byte>.Empty, Message("second"), CancellationToken.None);
        await waiting;
        var after = await inboxB.UpdatesSinceAsync(before.Version, CancellationToken.None);

        var stateA = await nodeA.OpenAccount(Luke).Get("INBOX").SnapshotAsync(CancellationToken.None);
        Assert.Equal(stateA.UidValidity, after.State.UidValidity);
        Assert.Equal([1u, 2u], after.State.Messages.Select(m => m.Uid));
        Assert.Equal([1u, 2u], stateA.Messages.Select(m => m.Uid));
        var added = Assert.Single(after.Changes!);
        Assert.Equal((MailboxChangeKind.Added, 2u), (added.Kind, added.Entry.Uid));
        await using var read = inboxB.OpenMessage(after.State.Messages[1])!;
        Assert.Contains("Subject: second", await new StreamReader(read).ReadToEndAsync(), StringComparison.Ordinal);
    }

    protected static MemoryStream Message(string subject) => new(Encoding.UTF8.GetBytes($"Subject: {subject}\r\n\r\nbody\r\n"));

    // A guard against a hang, not a timing assertion: a missed notification fails instead of blocking the run.
    protected static CancellationToken Guard() => new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    protected async Task<IMailStore> OpenAsync()
    {
        var store = await CreateStoreAsync();
        _opened.Add(store);
        return store;
    }
}
