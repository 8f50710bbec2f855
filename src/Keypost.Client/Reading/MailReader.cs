using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Keypost.Client.Reading;

/// <summary>
/// Luke's side: fetch over IMAP, decrypt locally (integrity protection required), and verify the signature
/// against the sender's key found by discovery and held to the pin.
/// </summary>
public sealed class MailReader(KeyDiscovery discovery, UnlockedSecretKey reader, MailServerConnection server)
{
    public async Task<IReadOnlyList<ReadMessage>> ReadInboxAsync(CancellationToken cancellationToken)
    {
        using var imap = new ImapClient { ServerCertificateValidationCallback = (_, c, ch, e) => server.ValidateCertificate(c, ch, e) };
        await imap.ConnectAsync(server.Host, server.ImapPort, SecureSocketOptions.SslOnConnect, cancellationToken);
        await imap.AuthenticateAsync(server.UserName, server.Password, cancellationToken);
        await imap.Inbox.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        var result = new List<ReadMessage>();
        foreach (var uid in await imap.Inbox.SearchAsync(MailKit.Search.SearchQuery.All, cancellationToken))
        {
            var message = await imap.Inbox.GetMessageAsync(uid, cancellationToken);
            result.Add(await ReadAsync(uid.Id, message, cancellationToken));
        }

        await imap.DisconnectAsync(quit: true, cancellationToken);
        return result;
    }

    public async Task<ReadMessage> ReadAsync(uint uid, MimeMessage message, CancellationToken cancellationToken)
    {
        // The signer's key comes from the sender's own domain, held to the pin like any recipient key.
        var signers = new Dictionary<ulong, Certificate>();
        if (message.From.Mailboxes.FirstOrDefault() is { } from && EmailAddress.TryParse(from.Address, out var address, out _))
        {
            var found = await discovery.DiscoverAsync(address!, cancellationToken);
            if (found.Usable && found.Certificate is { } certificate)
            {
                signers[certificate.KeyId] = certificate;
                foreach (var subkey in certificate.Subkeys)
                {
                    signers[subkey.KeyId] = certificate;
                }
            }
        }

        var read = new PgpMimeReader().Read(message, [reader], id => signers.GetValueOrDefault(id));
        return new ReadMessage(uid, read, FirstText(read.Body) ?? "");
    }

    private static string? FirstText(MimeEntity? entity) => entity switch
    {
        TextPart { IsAttachment: false } text => text.Text,
        Multipart multipart => multipart.Select(FirstText).FirstOrDefault(t => t is not null),
        _ => null,
    };
}
