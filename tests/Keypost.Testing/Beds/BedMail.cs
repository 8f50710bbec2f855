using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.LocalServe;
using Keypost.Testing.Mail;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Testing.Beds;

/// <summary>
/// What tests do to a bed domain from outside, over its real listeners: publish a key, send inbound, submit,
/// append by IMAP, and wait for what lands in a Maildir. Accounts log in with the password their domain was given.
/// </summary>
public static class BedMail
{
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(60);

    public static Task PublishAsync(this LocalDomain domain, EmailAddress address, SecretKey key) =>
        domain.Server.Store.PublishAsync(address, key.Fingerprint, key.Certificate.ToBinary(), revoked: false, CancellationToken.None);

    /// <summary>
    /// Sends <paramref name="data"/> byte for byte to the inbound listener (port 25's role) in a plain SMTP session;
    /// every recipient must be accepted. Returns the reply to the end of data.
    /// </summary>
    public static async Task<string> SendInboundAsync(this LocalDomain domain, string from, IEnumerable<EmailAddress> to, byte[] data)
    {
        using var timeout = new CancellationTokenSource(DeliveryWait);
        await using var wire = await SmtpWire.ConnectAsync(domain.Inbound, timeout.Token);
        await wire.CommandAsync("EHLO client.test", timeout.Token);
        await wire.CommandAsync($"MAIL FROM:<{from}>", timeout.Token);
        foreach (var recipient in to)
        {
            Assert.StartsWith("250", await wire.CommandAsync($"RCPT TO:<{recipient}>", timeout.Token), StringComparison.Ordinal);
        }

        var end = await wire.DataExactAsync(data, timeout.Token);
        await wire.CommandAsync("QUIT", timeout.Token);
        return end;
    }

    /// <summary>Submits <paramref name="message"/> as <paramref name="account"/> (STARTTLS, then AUTH).</summary>
    public static async Task SubmitAsync(this LocalDomain domain, EmailAddress account, MimeMessage message)
    {
        using var client = new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false };
        await client.ConnectAsync(domain.Submission.Address.ToString(), domain.Submission.Port, SecureSocketOptions.StartTls);
        await client.AuthenticateAsync(account.ToString(), PasswordOf(domain, account));
        await client.SendAsync(message);
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>Appends <paramref name="messages"/> to the account's <paramref name="folder"/> (created when missing), in order, over IMAPS.</summary>
    public static async Task AppendAsync(this LocalDomain domain, EmailAddress account, string folder, IEnumerable<MimeMessage> messages)
    {
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true, CheckCertificateRevocation = false };
        await imap.ConnectAsync(domain.Imaps.Address.ToString(), domain.Imaps.Port, SecureSocketOptions.SslOnConnect);
        await imap.AuthenticateAsync(account.ToString(), PasswordOf(domain, account));
        IMailFolder target;
        if (string.Equals(folder, "INBOX", StringComparison.OrdinalIgnoreCase))
        {
            target = imap.Inbox;
        }
        else
        {
            try
            {
                target = await imap.GetFolderAsync(folder);
            }
            catch (FolderNotFoundException)
            {
                target = await imap.GetFolder(imap.PersonalNamespaces[0]).CreateAsync(folder, isMessageFolder: true)
                    ?? throw new InvalidOperationException($"cannot create {folder}");
            }
        }

        foreach (var message in messages)
        {
            await target.AppendAsync(new AppendRequest(message));
        }

        await imap.DisconnectAsync(quit: true);
    }

    /// <summary>The account's new/ directory (of INBOX, or of <paramref name="mailbox"/>), where delivery puts mail.</summary>
    public static string NewMailOf(this LocalDomain domain, EmailAddress account, string? mailbox = null) =>
        Path.Combine(domain.MaildirOf(account), mailbox is null ? "" : "." + mailbox, "new");

    /// <summary>Waits (generously: the machine is shared) for <paramref name="count"/> messages in the account's new/ and returns them.</summary>
    public static async Task<IReadOnlyList<byte[]>> WaitForNewAsync(this LocalDomain domain, EmailAddress account, int count = 1, string? mailbox = null)
    {
        var folder = domain.NewMailOf(account, mailbox);
        var deadline = DateTime.UtcNow + DeliveryWait;
        while (DateTime.UtcNow < deadline)
        {
            if (System.IO.Directory.Exists(folder) && System.IO.Directory.GetFiles(folder) is { } files && files.Length >= count)
            {
                return files.OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
            }

            await Task.Delay(100);
        }

        var maildir = domain.MaildirOf(account);
        var present = System.IO.Directory.Exists(maildir) ? string.Join(", ", System.IO.Directory.GetFiles(maildir, "*", SearchOption.AllDirectories)) : "(no Maildir)";
        throw new TimeoutException($"{account}: fewer than {count} messages delivered; files: {present}; queue: {await domain.DescribeQueueAsync(CancellationToken.None)}");
    }

    private static string PasswordOf(LocalDomain domain, EmailAddress account) =>
        domain.Options.Accounts.FirstOrDefault(a => EmailAddress.Parse(a.Key).Canonical == account.Canonical).Value
        ?? throw new InvalidOperationException($"{account} has no account on {domain.Name} in the bed's options");
}
