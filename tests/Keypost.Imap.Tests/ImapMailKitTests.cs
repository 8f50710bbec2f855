using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using MimeKit;

namespace Keypost.Imap.Tests;

public sealed class ImapMailKitTests
{
    [Fact]
    public async Task Login_creates_special_use_folders_and_lists_them()
    {
        await using var server = await ImapTestServer.StartAsync();
        using var client = await server.ClientAsync();

        var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0]);

        Assert.Contains(folders, f => f.FullName == "INBOX");
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.SpecialUse));
        var sent = client.GetFolder(SpecialFolder.Sent);
        Assert.Equal("Sent", sent!.FullName);
        Assert.Equal("Trash", client.GetFolder(SpecialFolder.Trash)!.FullName);
        Assert.Equal("Junk", client.GetFolder(SpecialFolder.Junk)!.FullName);
        Assert.Equal("Drafts", client.GetFolder(SpecialFolder.Drafts)!.FullName);
        Assert.True(System.IO.Directory.Exists(Path.Combine(server.LukeMaildir, ".Sent", "cur")));
    }

    [Fact]
    public async Task StartTls_endpoint_logs_in_after_upgrade()
    {
        await using var server = await ImapTestServer.StartAsync();
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", server.StartTls.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(ImapTestServer.Luke, ImapTestServer.LukePassword);

        Assert.True(client.IsSecure);
        Assert.True(client.IsAuthenticated);
    }

    [Fact]
    public async Task Wrong_password_is_refused()
    {
        await using var server = await ImapTestServer.StartAsync();
        using var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", server.Implicit.Port, SecureSocketOptions.SslOnConnect);

        await Assert.ThrowsAsync<AuthenticationException>(() => client.AuthenticateAsync(ImapTestServer.Luke, "wrong"));
    }

    [Fact]
    public async Task Select_and_fetch_envelope_bodystructure_and_bodies()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("First"));
        await server.DeliverAsync(TestMail.Multipart);
        using var client = await server.ClientAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);

        Assert.Equal(2, inbox.Count);
        var summaries = await inbox.FetchAsync(0, -1,
            MessageSummaryItems.Envelope | MessageSummaryItems.BodyStructure | MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.Size);
        Assert.Equal("First", summaries[0].Envelope!.Subject);
        Assert.Equal("leia@rebel.test", summaries[1].Envelope!.From.Mailboxes.Single().Address);
        Assert.Equal("Leia Organa", summaries[1].Envelope!.From.Mailboxes.Single().Name);
        Assert.Equal("han@rebel.test", summaries[1].Envelope!.Cc.Mailboxes.Single().Address);
        Assert.True(summaries[1].UniqueId.Id > summaries[0].UniqueId.Id);
        Assert.False(summaries[0].Flags!.Value.HasFlag(MessageFlags.Seen));
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(TestMail.Multipart), (int)summaries[1].Size!.Value);

        var body = Assert.IsType<BodyPartMultipart>(summaries[1].Body);
        Assert.Equal("mixed", body.ContentType.MediaSubtype, ignoreCase: true);
        Assert.Equal(2, body.BodyParts.Count);
        var text = Assert.IsType<BodyPartText>(body.BodyParts[0]);
        Assert.Equal("utf-8", text.ContentType.Charset);
        Assert.Equal(2u, text.Lines);
        Assert.Equal("The plans are attached.\r\nSecond line.".Length, (int)text.Octets);
        var attachment = Assert.IsType<BodyPartBasic>(body.BodyParts[1]);
        Assert.Equal("plans.bin", attachment.FileName);
        Assert.Equal("BASE64", attachment.ContentTransferEncoding, ignoreCase: true);

        // BODY[2] decoded by MailKit
        var part = (MimePart)await inbox.GetBodyPartAsync(summaries[1].UniqueId, attachment);
        using var decoded = new MemoryStream();
        await part.Content!.DecodeToAsync(decoded);
        Assert.Equal("DEATH STAR", System.Text.Encoding.ASCII.GetString(decoded.ToArray()));

        // MailKit fetches with BODY.PEEK[], which must leave \Seen alone (the non-PEEK case is in ImapRawProtocolTests).
        var headers = await inbox.GetHeadersAsync(summaries[1].UniqueId);
        Assert.Equal("Plans attached", headers[HeaderId.Subject]);
        var message = await inbox.GetMessageAsync(summaries[1].UniqueId);
        Assert.Equal("Plans attached", message.Subject);
        Assert.Equal("DEATH STAR", System.Text.Encoding.ASCII.GetString(((MimePart)message.Attachments.Single()).Content!.Open().ReadAllBytesForTest()));
        var after = await inbox.FetchAsync([summaries[1].UniqueId], MessageSummaryItems.Flags);
        Assert.False(after[0].Flags!.Value.HasFlag(MessageFlags.Seen));
        Assert.Equal(2, System.IO.Directory.GetFiles(Path.Combine(server.LukeMaildir, "cur"), "*:2,").Length);
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(server.LukeMaildir, "new")));
    }

    [Fact]
    public async Task Search_by_flag_subject_sender_and_uid()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("Alpha"));
        await server.DeliverAsync(TestMail.Simple("Beta", "the secret word is bantha"));
        await server.DeliverAsync(TestMail.Multipart);
        using var client = await server.ClientAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = await inbox.SearchAsync(SearchQuery.All);
        Assert.Equal(3, uids.Count);

        await inbox.AddFlagsAsync(uids[0], MessageFlags.Flagged | MessageFlags.Seen, true);

        Assert.Equal([uids[0]], await inbox.SearchAsync(SearchQuery.Flagged));
        Assert.Equal([uids[1], uids[2]], await inbox.SearchAsync(SearchQuery.NotSeen));
        Assert.Equal([uids[1]], await inbox.SearchAsync(SearchQuery.SubjectContains("bet")));
        Assert.Equal([uids[1]], await inbox.SearchAsync(SearchQuery.BodyContains("BANTHA")));
        Assert.Equal([uids[2]], await inbox.SearchAsync(SearchQuery.CcContains("han@")));
        Assert.Equal(3, (await inbox.SearchAsync(SearchQuery.FromContains("leia"))).Count);
        Assert.Equal([uids[1], uids[2]], await inbox.SearchAsync(SearchQuery.Uids([uids[1], uids[2]])));
        Assert.Equal([uids[0], uids[2]], await inbox.SearchAsync(SearchQuery.Flagged.Or(SearchQuery.SubjectContains("Plans"))));
        Assert.Equal(3, (await inbox.SearchAsync(SearchQuery.DeliveredAfter(DateTime.UtcNow.AddDays(-2)))).Count);
        Assert.Empty(await inbox.SearchAsync(SearchQuery.DeliveredBefore(DateTime.UtcNow.AddDays(-2))));
        Assert.Equal(2, (await inbox.SearchAsync(SearchQuery.HeaderContains("Message-ID", "rebel.test"))).Count);
    }

    [Fact]
    public async Task Store_flags_renames_the_file_and_survives_reselect()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("Flag me"));
        using var client = await server.ClientAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);

        await inbox.AddFlagsAsync(0, MessageFlags.Flagged | MessageFlags.Answered, true);
        await inbox.RemoveFlagsAsync(0, MessageFlags.Answered, true);
        await inbox.SetFlagsAsync(0, MessageFlags.Flagged | MessageFlags.Draft | MessageFlags.Seen, true);

        Assert.EndsWith(":2,DFS", System.IO.Directory.GetFiles(Path.Combine(server.LukeMaildir, "cur")).Single(), StringComparison.Ordinal);
        await inbox.CloseAsync();
        await inbox.OpenAsync(FolderAccess.ReadOnly);
        var flags = (await inbox.FetchAsync(0, -1, MessageSummaryItems.Flags))[0].Flags!.Value;
        Assert.Equal(MessageFlags.Flagged | MessageFlags.Draft | MessageFlags.Seen, flags);
    }

    [Fact]
    public async Task Move_copy_and_expunge()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("One"));
        await server.DeliverAsync(TestMail.Simple("Two"));
        await server.DeliverAsync(TestMail.Simple("Three"));
        using var client = await server.ClientAsync();
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = await inbox.SearchAsync(SearchQuery.All);
        var trash = client.GetFolder(SpecialFolder.Trash)!;
        var archive = (await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("Archive", true))!;

        var moved = await inbox.MoveToAsync(uids[0], trash);
        var copied = await inbox.CopyToAsync(uids[1], archive);

        Assert.NotNull(moved);
        Assert.NotNull(copied);
        Assert.Equal(2, inbox.Count);
        await inbox.AddFlagsAsync(uids[2], MessageFlags.Deleted, true);
        await inbox.ExpungeAsync();
        Assert.Equal(1, inbox.Count);
        Assert.Equal("Two", (await inbox.GetMessageAsync(0)).Subject);

        await trash.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(1, trash.Count);
        Assert.Equal("One", (await trash.GetMessageAsync(moved!.Value)).Subject);
        var status = archive;
        await status.StatusAsync(StatusItems.Count | StatusItems.UidNext | StatusItems.UidValidity | StatusItems.Unread);
        Assert.Equal(1, status.Count);
        Assert.Equal(1, status.Unread);
        Assert.Equal(copied!.Value.Id + 1, status.UidNext!.Value.Id);
    }

    [Fact]
    public async Task Append_with_flags_and_date_then_fetch_it()
    {
        await using var server = await ImapTestServer.StartAsync();
        using var client = await server.ClientAsync();
        var drafts = client.GetFolder(SpecialFolder.Drafts)!;
        var message = MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(TestMail.Simple("Draft"))));
        var date = new DateTimeOffset(2026, 1, 15, 8, 30, 0, TimeSpan.FromHours(2));

        var uid = await drafts.AppendAsync(new AppendRequest(message, MessageFlags.Draft | MessageFlags.Seen) { InternalDate = date });

        Assert.NotNull(uid);
        await drafts.OpenAsync(FolderAccess.ReadOnly);
        var summary = (await drafts.FetchAsync([uid!.Value], MessageSummaryItems.Flags | MessageSummaryItems.InternalDate | MessageSummaryItems.Envelope)).Single();
        Assert.Equal("Draft", summary.Envelope!.Subject);
        Assert.Equal(MessageFlags.Draft | MessageFlags.Seen, summary.Flags!.Value);
        Assert.Equal(date.UtcDateTime, summary.InternalDate!.Value.UtcDateTime);
        Assert.Single(System.IO.Directory.GetFiles(Path.Combine(server.LukeMaildir, ".Drafts", "cur"), "*:2,DS"));
    }

    [Fact]
    public async Task Uids_and_uidvalidity_survive_a_restart()
    {
        using var root = new Keypost.Testing.TempDirectory("keypost-imap");
        uint validity;
        IList<UniqueId> before;
        await using (var server = await ImapTestServer.StartAsync(root.Path))
        {
            await server.DeliverAsync(TestMail.Simple("A"));
            await server.DeliverAsync(TestMail.Simple("B"));
            using var client = await server.ClientAsync();
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.AddFlagsAsync(0, MessageFlags.Deleted, true);
            await client.Inbox.ExpungeAsync();
            validity = client.Inbox.UidValidity;
            before = await client.Inbox.SearchAsync(SearchQuery.All);
            await client.DisconnectAsync(true);
        }

        await using (var server = await ImapTestServer.StartAsync(root.Path))
        {
            await server.DeliverAsync(TestMail.Simple("C"));
            using var client = await server.ClientAsync();
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
            var after = await client.Inbox.SearchAsync(SearchQuery.All);

            Assert.Equal(validity, client.Inbox.UidValidity);
            Assert.Equal(2, after.Count);
            Assert.Equal(before.Single(), after[0]);
            Assert.Equal(3u, after[1].Id);
            Assert.Equal("C", (await client.Inbox.GetMessageAsync(after[1])).Subject);
        }
    }

    [Fact]
    public async Task Two_sessions_see_each_others_changes()
    {
        await using var server = await ImapTestServer.StartAsync();
        await server.DeliverAsync(TestMail.Simple("Existing"));
        using var watcher = await server.ClientAsync();
        using var actor = await server.ClientAsync();
        await watcher.Inbox.OpenAsync(FolderAccess.ReadWrite);
        await actor.Inbox.OpenAsync(FolderAccess.ReadWrite);

        await actor.Inbox.AppendAsync(new AppendRequest(MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(TestMail.Simple("New"))))));
        await watcher.NoOpAsync();
        Assert.Equal(2, watcher.Inbox.Count);

        await actor.Inbox.AddFlagsAsync(0, MessageFlags.Deleted, true);
        await actor.Inbox.ExpungeAsync();
        var expunged = new List<int>();
        watcher.Inbox.MessageExpunged += (_, e) => expunged.Add(e.Index);
        await watcher.NoOpAsync();
        Assert.Equal([0], expunged);
        Assert.Equal(1, watcher.Inbox.Count);
        Assert.Equal("New", (await watcher.Inbox.GetMessageAsync(0)).Subject);
    }

    [Fact]
    public async Task Idle_reports_a_delivery()
    {
        await using var server = await ImapTestServer.StartAsync();
        using var client = await server.ClientAsync();
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        using var done = new CancellationTokenSource();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        client.Inbox.CountChanged += (_, _) => done.Cancel();

        var idle = client.IdleAsync(done.Token, timeout.Token);
        await server.DeliverAsync(TestMail.Simple("While idling"));
        await idle;

        Assert.False(timeout.IsCancellationRequested);
        Assert.Equal(1, client.Inbox.Count);
    }

    [Fact]
    public async Task Create_rename_and_delete_folders()
    {
        await using var server = await ImapTestServer.StartAsync();
        using var client = await server.ClientAsync();
        var personal = client.GetFolder(client.PersonalNamespaces[0]);

        var projects = (await personal.CreateAsync("Projects", true))!;
        var sub = await projects.CreateAsync("Rebellion", true);
        await projects.RenameAsync(personal, "Work");
        var names = (await client.GetFoldersAsync(client.PersonalNamespaces[0])).Select(f => f.FullName).ToList();

        Assert.Contains("Work", names);
        Assert.Contains("Work.Rebellion", names);
        Assert.DoesNotContain("Projects", names);
        Assert.True(System.IO.Directory.Exists(Path.Combine(server.LukeMaildir, ".Work.Rebellion", "cur")));
        await client.GetFolder("Work.Rebellion").DeleteAsync();
        Assert.False(System.IO.Directory.Exists(Path.Combine(server.LukeMaildir, ".Work.Rebellion")));
        Assert.NotNull(sub);
    }
}
