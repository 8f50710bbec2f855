using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Mail.Smtp;
using MimeKit;

namespace Keypost.Server.Gateway;

/// <summary>
/// In charge of the submission gateway for legacy clients: encrypting and signing for them under the domain's policy.
/// The submission gateway for legacy clients (a per-domain option): plaintext submitted by a user of a gateway
/// domain is encrypted by the server when every recipient has a key, and sent as is otherwise, with a trace header
/// either way. The server holds no user secret key, so the result is encrypted and unsigned.
/// <para>
/// Bcc privacy (issue #13): an encrypted message names each recipient's key ID in its PKESK packets (RFC 4880
/// §5.1), so one copy for all would show every recipient who else got it. Recipients not named in To or Cc each get
/// their own copy encrypted only to them (and the domain's additional decryption key); those named share one copy.
/// Separate copies rather than wildcard key IDs: every OpenPGP client reads them without trying all its keys.
/// </para>
/// </summary>
public sealed class SubmissionGateway(DomainMailPolicies policies, RecipientKeyFinder keys, PgpMimeComposer composer, string hostName)
{
    /// <summary>The trace header saying what the gateway did.</summary>
    public const string HeaderName = "X-Keypost-Gateway";

    /// <summary>
    /// The messages to sign and queue, each with its own envelope: one copy of <paramref name="data"/> for the whole
    /// envelope when the gateway leaves it alone or sends it in clear; when it encrypts, one copy for the recipients
    /// named in To/Cc and one per other (Bcc) recipient.
    /// </summary>
    public async Task<IReadOnlyList<GatewayCopy>> ProcessAsync(SmtpEnvelope envelope, byte[] data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(data);
        if (envelope.ReversePath is not { } sender || policies.Find(sender.Domain) is not { Gateway: true } policy)
        {
            return [new GatewayCopy(envelope, data)];
        }

        var message = await MimeMessage.LoadAsync(new MemoryStream(data, writable: false), cancellationToken);
        // RFC 3156 §4: the client encrypted it already; never wrap or re-encrypt.
        if (message.Body is null || message.Body.ContentType.IsMimeType("multipart", "encrypted"))
        {
            return [new GatewayCopy(envelope, data)];
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
            // In clear: no key IDs to leak, and the note names only visible recipients.
            return [new GatewayCopy(envelope, Prepend($"{HeaderName}: not encrypted ({NoKeyNote(message, missing)})\r\n", data))];
        }

        // RFC 5322 §3.6.3: a Bcc field, if the client left one, is removed from every copy.
        message.Headers.RemoveAll(HeaderId.Bcc);
        var visible = VisibleAddresses(message);
        var keyOf = found.ToDictionary(k => k.Address.Canonical, StringComparer.Ordinal);
        var groups = new List<List<EmailAddress>>();
        var shown = envelope.Recipients.Where(r => visible.Contains(r.Canonical)).ToList();
        if (shown.Count > 0)
        {
            groups.Add(shown);
        }

        groups.AddRange(envelope.Recipients.Where(r => !visible.Contains(r.Canonical)).DistinctBy(r => r.Canonical).Select(r => new List<EmailAddress> { r }));
        var copies = new List<GatewayCopy>(groups.Count);
        foreach (var group in groups)
        {
            var certificates = group.Select(r => keyOf[r.Canonical].Certificate!).DistinctBy(c => c.Fingerprint).ToList();
            copies.Add(new GatewayCopy(envelope with { Recipients = group }, await EncryptAsync(message, certificates, policy, cancellationToken)));
        }

        return copies;
    }

    private async Task<byte[]> EncryptAsync(MimeMessage message, List<Certificate> certificates, DomainMailPolicy policy, CancellationToken cancellationToken)
    {
        var encrypted = composer.ComposeEncryptOnly(
            message,
            certificates,
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

    private static HashSet<string> VisibleAddresses(MimeMessage message) =>
        message.To.Mailboxes.Concat(message.Cc.Mailboxes)
            .Select(m => EmailAddress.TryParse(m.Address, out var a, out _) ? a!.Canonical : null)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

    // Names only recipients the header fields already show: naming a Bcc recipient would reveal them to the others.
    private static string NoKeyNote(MimeMessage message, List<EmailAddress> missing)
    {
        var visible = VisibleAddresses(message);
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
