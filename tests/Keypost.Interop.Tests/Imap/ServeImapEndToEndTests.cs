using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using MailKit.Security;
using Keypost.Core.Addresses;
using Keypost.LocalServe;
using Keypost.Testing.Beds;
using Keypost.Testing;
using MimeKit;

namespace Keypost.Interop.Tests.Imap;

/// <summary>Mail in over SMTP, out over IMAP, all through <c>keypost serve</c>'s own wiring (MailHost).</summary>
public sealed class ServeImapEndToEndTests
{
    private const string Luke = "luke@jedi.test";

    private static MimeMessage Message(string subject)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Leia Organa", "leia@rebel.test"));
        message.To.Add(new MailboxAddress("Luke", Luke));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = "Meet me on Hoth." };
        return message;
    }

    private static async Task DeliverAsync(LocalDomain node, MimeMessage message)
    {
        using var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await smtp.ConnectAsync("127.0.0.1", node.Inbound.Port, SecureSocketOptions.None);
        await smtp.SendAsync(message);
        await smtp.DisconnectAsync(quit: true);
    }

    // Inbound delivery is asynchronous to the SMTP reply only in the sense of Maildir publication; poll briefly.
    private static async Task<int> WaitForCountAsync(IMailFolder folder, int count)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await folder.StatusAsync(StatusItems.Count);
            if (folder.Count >= count)
            {
                return folder.Count;
            }

            await Task.Delay(100);
        }

        return folder.Count;
    }

    [Fact]
    public async Task Smtp_delivery_is_read_flagged_moved_and_a_copy_appended_over_imaps()
    {
        await using var bed = TestBed.Create("keypost-serve-imap");
        var node = await bed.StartAsync(TestBed.Alone);
        await DeliverAsync(node, Message("Rebel base"));
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await imap.ConnectAsync("127.0.0.1", node.Imaps.Port, SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync(Luke, TestBed.LukePassword);

        var inbox = imap.Inbox;
        Assert.Equal(1, await WaitForCountAsync(inbox, 1));
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var fetched = await inbox.GetMessageAsync(0);
        await inbox.AddFlagsAsync(0, MessageFlags.Seen, silent: false);
        var summary = (await inbox.FetchAsync(0, 0, MessageSummaryItems.Flags | MessageSummaryItems.UniqueId))[0];
        var trash = await imap.GetFolderAsync("Trash");
        var moved = await inbox.MoveToAsync(summary.UniqueId, trash);
        var sent = await imap.GetFolderAsync("Sent");
        var appended = await sent.AppendAsync(new AppendRequest(fetched, MessageFlags.Seen));

        Assert.Equal("Rebel base", fetched.Subject);
        Assert.Equal("Meet me on Hoth.", fetched.TextBody?.Trim());
        Assert.True(summary.Flags!.Value.HasFlag(MessageFlags.Seen));
        Assert.NotNull(moved);
        Assert.Equal(0, inbox.Count);
        Assert.NotNull(appended);
        await trash.OpenAsync(FolderAccess.ReadOnly);
        var inTrash = await trash.FetchAsync(0, -1, MessageSummaryItems.Envelope | MessageSummaryItems.Flags);
        Assert.Equal("Rebel base", Assert.Single(inTrash).Envelope?.Subject);
        Assert.True(inTrash[0].Flags!.Value.HasFlag(MessageFlags.Seen));
        await sent.OpenAsync(FolderAccess.ReadOnly);
        var uids = await sent.SearchAsync(SearchQuery.SubjectContains("Rebel base"));
        Assert.Equal(appended!.Value, Assert.Single(uids));
        await imap.DisconnectAsync(quit: true);
    }

    [ToolFact("curl")]
    public async Task Curl_lists_the_delivered_message_over_imaps()
    {
        await using var bed = TestBed.Create("keypost-serve-imap");
        var node = await bed.StartAsync(TestBed.Alone);
        await DeliverAsync(node, Message("Curl sees this"));
        var url = "imaps://127.0.0.1:" + node.Imaps.Port + "/INBOX";
        var user = Luke + ":" + TestBed.LukePassword;

        ProcessResult search = null!;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            search = await ProcessRunner.RunAsync("curl", ["-sS", "-k", "--user", user, url, "-X", "SEARCH ALL"], timeout: TimeSpan.FromSeconds(30));
            if (search.ExitCode != 0 || search.StandardOutput.Contains("* SEARCH 1", StringComparison.Ordinal))
            {
                break;
            }

            await Task.Delay(100);
        }

        var fetch = await ProcessRunner.RunAsync("curl", ["-sS", "-k", "--user", user, url + ";UID=1"], timeout: TimeSpan.FromSeconds(30));

        Assert.True(search.ExitCode == 0, search.ToString());
        Assert.Contains("* SEARCH 1", search.StandardOutput, StringComparison.Ordinal);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Contains("Subject: Curl sees this", fetch.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Meet me on Hoth.", fetch.StandardOutput, StringComparison.Ordinal);
    }
}
