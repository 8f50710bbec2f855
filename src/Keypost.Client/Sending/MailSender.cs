using Keypost.Client.Discovery;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Core.Policy;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Keypost.Client.Sending;

/// <summary>
/// In charge of sending mail: discover, apply the policy, compose PGP/MIME, sign, encrypt and submit.
/// Leia's side: find every recipient's key, let the domain policies decide, encrypt and sign (RFC 3156) to all
/// recipients and to herself, and submit over TLS with AUTH. Nothing is submitted unless every step succeeded.
/// </summary>
public sealed class MailSender(KeyDiscovery discovery, SendPolicy policy, UnlockedSecretKey sender, MailServerConnection server, TimeProvider clock)
{
    public async Task<SendReport> SendAsync(OutgoingMessage outgoing, CancellationToken cancellationToken)
    {
        var from = EmailAddress.Parse(outgoing.From);
        if (!sender.Certificate.HasUserIdFor(from))
        {
            throw new SendRefusedException($"your key {sender.Certificate.Fingerprint} has no user ID for {from}");
        }

        var recipients = outgoing.To.Select(EmailAddress.Parse).ToList();
        if (recipients.Count == 0)
        {
            throw new SendRefusedException("no recipients");
        }

        var found = new List<DiscoveredKey>();
        foreach (var recipient in recipients)
        {
            found.Add(await discovery.DiscoverAsync(recipient, cancellationToken));
        }

        // A key the domain's log does not prove stops the send, whatever the policy: it names the failed check.
        var unproved = found.Where(f => f.LogFailure is not null).ToList();
        if (unproved.Count > 0)
        {
            throw new SendRefusedException(string.Join("; ", unproved.Select(f => f.Explanation)));
        }

        // A revoked or expired key stops the send whatever the policy, naming the key and why.
        var dead = found.Where(f => f.KeyProblem is not null).ToList();
        if (dead.Count > 0)
        {
            throw new SendRefusedException(string.Join("; ", dead.Select(f => f.KeyProblem)));
        }

        var changed = found.Where(f => f.Pin?.Outcome == Contacts.PinOutcome.Changed && !f.Usable).ToList();
        if (changed.Count > 0)
        {
            throw new SendRefusedException(string.Join("; ", changed.Select(c => c.Explanation)));
        }

        var decision = policy.Decide(found.Select(f => (f.Address, f.Usable)).ToList());
        if (decision.Mode == SendMode.Refuse)
        {
            throw new SendRefusedException(decision.Reason);
        }

        var message = Build(outgoing, from, recipients);
        string? keyProof = null;
        if (decision.Mode == SendMode.Encrypt)
        {
            keyProof = await SenderKeyProof.AttachAsync(discovery, sender.Certificate, message, from, cancellationToken);
        }

        // RFC 3156: encrypted and signed when every key is there, otherwise signed in the clear (§5) so the
        // recipient can still tell the mail is Leia's.
        message = decision.Mode == SendMode.Encrypt
            ? new PgpMimeComposer(clock).Compose(message, sender, found.Select(f => f.Certificate!))
            : new PgpMimeSigner(clock).Sign(message, sender);

        await SubmitAsync(message, cancellationToken);
        return new SendReport(decision.Mode, decision.Reason, found, message.MessageId ?? "") { KeyProof = keyProof };
    }

    private MimeMessage Build(OutgoingMessage outgoing, EmailAddress from, IReadOnlyList<EmailAddress> recipients)
    {
        var message = new MimeMessage { Subject = outgoing.Subject, Date = clock.GetUtcNow() };
        message.From.Add(new MailboxAddress(null, from.ToString()));
        message.To.AddRange(recipients.Select(r => new MailboxAddress(null, r.ToString())));
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(from.Domain);
        var body = new BodyBuilder { TextBody = outgoing.Body };
        foreach (var path in outgoing.AttachmentPaths ?? [])
        {
            body.Attachments.Add(path);
        }

        message.Body = body.ToMessageBody();
        return message;
    }

    private async Task SubmitAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var smtp = new SmtpClient { ServerCertificateValidationCallback = (_, c, ch, e) => server.ValidateCertificate(c, ch, e) };
        await smtp.ConnectAsync(server.Host, server.SubmissionPort, SecureSocketOptions.StartTls, cancellationToken);
        await smtp.AuthenticateAsync(server.UserName, server.Password, cancellationToken);
        await smtp.SendAsync(message, cancellationToken);
        await smtp.DisconnectAsync(quit: true, cancellationToken);
    }
}
