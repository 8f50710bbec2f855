using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Mail.Smtp;
using MimeKit;

namespace Keypost.Server.Gateway;

/// <summary>
/// The submission gateway for legacy clients (a per-domain option): plaintext submitted by a user of a gateway
/// domain is encrypted by the server when every recipient has a key, and sent as is otherwise, with a trace header
/// either way. The server holds no user secret key, so the result is encrypted and unsigned.
/// </summary>
public sealed class SubmissionGateway(DomainMailPolicies policies, RecipientKeyFinder keys, PgpMimeComposer composer, string hostName)
{
    /// <summary>The trace header saying what the gateway did.</summary>
    public const string HeaderName = "X-Keypost-Gateway";

    /// <summary>The message to sign and queue: <paramref name="data"/> itself when the gateway leaves it alone.</summary>
    public async Task<byte[]> ProcessAsync(SmtpEnvelope envelope, byte[] data, CancellationToken cancellationToken)
    {
        if (envelope.ReversePath is not { } sender || policies.Find(sender.Domain) is not { Gateway: true } policy)
        {
            return data;
        }

        var message = await MimeMessage.LoadAsync(new MemoryStream(data, writable: false), cancellationToken);
        // RFC 3156 §4: the client encrypted it already; never wrap or re-encrypt.
        if (message.Body is null || message.Body.ContentType.IsMimeType("multipart", "encrypted"))
        {
            return data;
        }

        // In parallel: the SMTP client waits for the 250 while remote WKD servers answer (RFC 5321 §4.5.3.2.6).
        var found = await Task.WhenAll(envelope.Recipients.DistinctBy(r => r.Canonical).Select(r => keys.FindAsync(r, cancellationToken)));

        // A key the recipient's domain offers but its log does not prove: refuse rather than send in clear or to it.
        var refused = found.Where(k => k.IsRefused).ToList();
        if (refused.Count > 0)
        {
            throw new GatewayRefusedException(string.Join("; ", refused.Select(k => $"{k.Address}: {k.Problem}")));
        }

        var missing = found.Where(k => k.Certificate is null).Select(k => k.Address).ToList();
        if (missing.Count > 0)
        {
            return Prepend($"{HeaderName}: not encrypted ({NoKeyNote(message, missing)})\r\n", data);
        }

        var encrypted = composer.ComposeEncryptOnly(
            message,
            found.Select(k => k.Certificate!),
            policy.AdditionalDecryptionKey is { } adk ? [adk] : null);
        if (policy.Disclaimer is { } disclaimer)
        {
            PgpMimeDisclaimer.Attach(encrypted, disclaimer);
        }

        var note = $"encrypted by {hostName} on the sender's behalf, not signed by the sender"
            + (policy.AdditionalDecryptionKey is { } key ? $"; also encrypted to the organisation key {key.Fingerprint}" : "");
        encrypted.Headers.Add(HeaderName, note);
        using var output = new MemoryStream();
        await encrypted.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output, cancellationToken);
        return output.ToArray();
    }

    // Names only recipients the header fields already show: naming a Bcc recipient would reveal them to the others.
    private static string NoKeyNote(MimeMessage message, List<EmailAddress> missing)
    {
        var visible = message.To.Mailboxes.Concat(message.Cc.Mailboxes)
            .Select(m => EmailAddress.TryParse(m.Address, out var a, out _) ? a!.Canonical : null)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var named = missing.Where(a => visible.Contains(a.Canonical)).Select(a => a.Canonical).ToList();
        var others = missing.Count - named.Count;
        if (others > 0)
        {
            named.Add(others == 1 ? "1 other recipient" : $"{others} other recipients");
        }

        return "no key for " + string.Join(", ", named);
    }

    private static byte[] Prepend(string header, byte[] data)
    {
        var head = Encoding.UTF8.GetBytes(header);
        var result = new byte[head.Length + data.Length];
        head.CopyTo(result, 0);
        data.CopyTo(result, head.Length);
        return result;
    }
}
