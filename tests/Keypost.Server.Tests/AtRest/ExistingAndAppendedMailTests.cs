using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.LocalServe;
using Keypost.Server.Mail;
using Keypost.Store;
using Keypost.Store.Maildir;
using Keypost.Testing.Beds;
using Keypost.Testing.PgpMime;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Keypost.Server.Tests.AtRest;

/// <summary>Issue #16 items 3 and 4: mail already stored (encrypt-mailbox) and mail a user APPENDs over IMAP.</summary>
public sealed class ExistingAndAppendedMailTests
{
    private const string Password = AtRestBed.Password;
    private static readonly EmailAddress Luke = AtRestBed.Luke;
    private static readonly EmailAddress Han = AtRestBed.Han;
    private static readonly LocalDomainOptions Options = AtRestBed.Options;

    private const string Secret = "The spice must flow.";

    [Fact]
    public async Task Encrypt_mailbox_encrypts_stored_plaintext_keeps_flags_and_dates_maps_uids_and_can_run_again()
    {
        await using var bed = TestBed.Create("keypost-atrest");
        var node = await bed.StartAsync(Options);
        var han = Crafted.Key("han@jedi.test");
        for (var i = 0; i < 2; i++)
        {
            await node.SendInboundAsync("guild@arrakis.test", [Han], Encoding.ASCII.GetBytes($"From: guild@arrakis.test\r\nTo: han@jedi.test\r\nSubject: Cargo {i}\r\n\r\n{Secret} {i}\r\n"));
        }

        var plain = await node.WaitForNewAsync(Han, 2);
        Assert.All(plain, p => Assert.Contains(Secret, Encoding.ASCII.GetString(p), StringComparison.Ordinal));
        await node.PublishAsync(Han, han);
        using var store = new MaildirStore(Path.Combine(node.Config.DataDirectory, "mail"));
        var mailbox = store.OpenAccount(Han).Get("INBOX");
        var before = await mailbox.SnapshotAsync(CancellationToken.None);
        await mailbox.ChangeFlagsAsync(new HashSet<uint> { before.Messages[0].Uid }, f => f | Keypost.Store.MessageFlags.Seen | Keypost.Store.MessageFlags.Flagged, CancellationToken.None);
        before = await mailbox.SnapshotAsync(CancellationToken.None);

        var (encrypted, skipped) = await new MailboxEncryption(new AtRestEncryptor()).EncryptAsync(mailbox, han.Certificate, CancellationToken.None);

        Assert.Equal(2, encrypted.Count);
        Assert.Equal(0, skipped);
        var after = await mailbox.SnapshotAsync(CancellationToken.None);
        Assert.Equal(before.UidValidity, after.UidValidity);
        Assert.Equal(2, after.Messages.Count);
        for (var i = 0; i < 2; i++)
        {
            var (old, uid) = encrypted[i];
            var source = before.Messages.Single(m => m.Uid == old);
            var now = after.Messages.Single(m => m.Uid == uid);
            Assert.True(uid > old);
            Assert.Equal(source.Flags, now.Flags);
            Assert.Equal(source.InternalDate.ToUnixTimeSeconds(), now.InternalDate.ToUnixTimeSeconds());
            await using var stream = mailbox.OpenMessage(now)!;
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            var text = Encoding.ASCII.GetString(copy.ToArray());
            Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
            Assert.Contains($"{MailboxEncryption.SourceHeader}: {before.UidValidity}/{old}", text, StringComparison.Ordinal);
            // The two inbound deliveries may take their UIDs in either order (seen once in CI).
            var original = StoredMessage.InnerOriginal(StoredMessage.Decrypt(copy.ToArray(), han));
            Assert.Contains(plain, p => p.AsSpan().SequenceEqual(original));
        }

        // Resumable: a second run finds nothing left to do and changes nothing.
        var (again, alreadyEncrypted) = await new MailboxEncryption(new AtRestEncryptor()).EncryptAsync(mailbox, han.Certificate, CancellationToken.None);
        Assert.Empty(again);
        Assert.Equal(2, alreadyEncrypted);
        Assert.Equal(after.Messages.Select(m => m.Uid), (await mailbox.SnapshotAsync(CancellationToken.None)).Messages.Select(m => m.Uid));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_appended_plaintext_message_is_encrypted_only_when_the_domain_asks(bool encryptAppended)
    {
        await using var bed = TestBed.Create("keypost-atrest");
        var node = await bed.StartAsync(Options.Then(c => c.Domains[0].EncryptAppendedMessages = encryptAppended));
        var luke = Crafted.Key("luke@jedi.test");
        await node.PublishAsync(Luke, luke);

        using (var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false })
        {
            await imap.ConnectAsync("127.0.0.1", node.Imaps.Port, SecureSocketOptions.SslOnConnect);
            await imap.AuthenticateAsync(Luke.ToString(), Password);
            await imap.Inbox.AppendAsync(new AppendRequest(Crafted.Letter("luke@jedi.test", "leia@rebels.test", "Sent copy", Secret)) { Flags = MailKit.MessageFlags.Seen });
            await imap.DisconnectAsync(quit: true);
        }

        var files = System.IO.Directory.GetFiles(Path.Combine(node.MaildirOf(Luke), "cur"));
        var stored = File.ReadAllBytes(Assert.Single(files));
        if (encryptAppended)
        {
            Assert.DoesNotContain(Secret, Encoding.ASCII.GetString(stored), StringComparison.Ordinal);
            Assert.Contains(Secret, Encoding.ASCII.GetString(StoredMessage.Decrypt(stored, luke)), StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains(Secret, Encoding.ASCII.GetString(stored), StringComparison.Ordinal);
        }
    }
}
