using System.Security.Cryptography;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Directory.Publishing;
using Keypost.Directory.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;

namespace Keypost.Directory.Wks;

/// <summary>
/// In charge of the Web Key Service: key submission by mail and its confirmation.
/// The Web Key Service (draft-koch-openpgp-webkey-service §4): GnuPG users publish their own key by mail. A key
/// submission (§4.1, encrypted to the submission key or not) for a hosted address with a mailbox gets a
/// confirmation request (§4.2) encrypted to the submitted key, carrying a fresh single-use nonce; the confirmation
/// response (§4.3) with that nonce publishes the key, as a new version in the transparency log. Nothing is written
/// to the directory before a valid response. The service knows no SMTP: the host hands it each message for a
/// submission address and mails the replies it returns.
/// </summary>
public sealed class WebKeyService
{
    private static readonly EventId SubmissionEvent = new(4101, "WksSubmission");
    private static readonly EventId ConfirmationEvent = new(4102, "WksConfirmation");
    private static readonly EventId RefusalEvent = new(4103, "WksRefusal");

    private readonly DirectoryStore _store;
    private readonly LifecycleStore _lifecycle;
    private readonly KeyPublisher _publisher;
    private readonly CertificatePolicy _policy;
    private readonly WksOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly FixedWindowCounter _perClient;
    private readonly FixedWindowCounter _perAddress;
    private readonly Dictionary<string, SubmissionIdentity> _submission = new(StringComparer.OrdinalIgnoreCase);

    public WebKeyService(DirectoryStore store, CertificatePolicy policy, WksOptions options, TimeProvider clock, ILogger? logger = null)
    {
        _store = store;
        _lifecycle = new LifecycleStore(store.Database);
        _policy = policy;
        _publisher = new KeyPublisher(store, policy, clock);
        _options = options;
        _clock = clock;
        _logger = logger ?? NullLogger.Instance;
        _perClient = new FixedWindowCounter(TimeSpan.FromMinutes(1), options.MessagesPerClientPerMinute, clock);
        _perAddress = new FixedWindowCounter(TimeSpan.FromHours(1), options.SubmissionsPerAddressPerHour, clock);
    }

    /// <summary>The submission addresses this service answers for.</summary>
    public IReadOnlyCollection<EmailAddress> SubmissionAddresses => _submission.Values.Select(s => s.Address).ToList();

    public bool IsSubmissionAddress(EmailAddress address) =>
        _submission.TryGetValue(address.Domain, out var identity) && identity.Address.Canonical == address.Canonical;

    /// <summary>The public key of a domain's submission address (published in its WKD, §4.4), or null.</summary>
    public Certificate? SubmissionCertificate(string domain) => _submission.GetValueOrDefault(domain)?.Key.Certificate;

    /// <summary>
    /// Makes (once) and loads the key of <paramref name="submissionAddress"/>, and publishes it in the directory so
    /// gpg-wks-client finds it by WKD and can encrypt the submission to it (§4.1).
    /// </summary>
    public async Task AddDomainAsync(EmailAddress submissionAddress, CancellationToken cancellationToken)
    {
        var domain = submissionAddress.Domain;
        if (!await _store.IsHostedDomainAsync(domain, cancellationToken))
        {
            throw new DirectoryException($"the submission address {submissionAddress} is not in a hosted domain");
        }

        var stored = await _lifecycle.FindSubmissionKeyAsync(domain, submissionAddress.Canonical, cancellationToken);
        SecretKey secret;
        if (stored is null)
        {
            // The server must decrypt unattended, so this one key has no passphrase; the database that holds it
            // already holds the log's signing key and is kept mode 0600.
            var generated = new KeyGenerator(_clock).Generate(new KeyGenerationRequest(submissionAddress) { Validity = null });
            await _lifecycle.SaveSubmissionKeyAsync(domain, submissionAddress.Canonical, generated.ToBinary(), _clock.GetUtcNow(), cancellationToken);
            // Nodes starting together on one database may each have made a key: the first stored is everyone's.
            secret = SecretKey.Parse((await _lifecycle.FindSubmissionKeyAsync(domain, submissionAddress.Canonical, cancellationToken))!);
        }
        else
        {
            secret = SecretKey.Parse(stored);
        }

        var current = await _store.FindCurrentAsync(submissionAddress, cancellationToken);
        if (current is null || current.Fingerprint != secret.Fingerprint)
        {
            await _publisher.PublishAsync(secret.Certificate.ToBinary(), submissionAddress, cancellationToken);
        }

        _submission[domain] = new SubmissionIdentity(submissionAddress, secret.Unlock(""));
    }

    /// <summary>Handles one message sent to a submission address; never throws for bad input.</summary>
    public async Task<WksResult> ReceiveAsync(WksMail mail, CancellationToken cancellationToken)
    {
        var result = await ReceiveCoreAsync(mail, cancellationToken);
        if (!result.Accepted)
        {
            _logger.LogWarning(RefusalEvent, "WKS message from {Client} to {Recipient} refused: {Reason}", mail.Client, mail.Recipient, result.Message);
        }

        return result;
    }

    private async Task<WksResult> ReceiveCoreAsync(WksMail mail, CancellationToken cancellationToken)
    {
        if (!_submission.TryGetValue(mail.Recipient.Domain, out var identity) || identity.Address.Canonical != mail.Recipient.Canonical)
        {
            return WksResult.Refused($"{mail.Recipient} is not a Web Key Service submission address");
        }

        if (!_perClient.TryTake(mail.Client))
        {
            return WksResult.Later($"too many Web Key Service messages from {mail.Client} this minute; try again later");
        }

        if (mail.Message.Length > _options.MaxMessageBytes)
        {
            return WksResult.Refused($"a Web Key Service message is at most {_options.MaxMessageBytes} bytes");
        }

        MimeEntity body;
        try
        {
            var message = MimeMessage.Load(new MemoryStream(mail.Message, writable: false));
            body = Unwrap(message.Body, identity);
        }
        catch (Exception e) when (e is FormatException or OpenPgpException or WksFormatException)
        {
            return WksResult.Refused("the message cannot be read: " + OneLine(e.Message));
        }

        var keyPart = Parts(body).FirstOrDefault(p => p.ContentType.IsMimeType("application", "pgp-keys"));
        if (keyPart is not null)
        {
            return await SubmitAsync(identity, mail, Decoded(keyPart), cancellationToken);
        }

        var wksPart = Parts(body).FirstOrDefault(p => p.ContentType.IsMimeType("application", "vnd.gnupg.wks"));
        if (wksPart is not null)
        {
            var data = Decoded(wksPart);
            try
            {
                // §4.3: the response may itself be armored OpenPGP inside the part.
                if (LooksArmored(data))
                {
                    data = OpenPgpData.Decrypt(data, identity.Key, _options.MaxMessageBytes);
                }
            }
            catch (OpenPgpException e)
            {
                return WksResult.Refused("the confirmation response cannot be decrypted: " + OneLine(e.Message));
            }

            return await ConfirmAsync(identity, mail, data, cancellationToken);
        }

        return WksResult.Refused("no application/pgp-keys or application/vnd.gnupg.wks part: not a Web Key Service message");
    }

    private async Task<WksResult> SubmitAsync(SubmissionIdentity identity, WksMail mail, byte[] keyData, CancellationToken cancellationToken)
    {
        Certificate certificate;
        try
        {
            certificate = Certificate.Parse(keyData, KeyPublisher.MaxInputBytes);
        }
        catch (OpenPgpException e)
        {
            return WksResult.Refused("the submitted key is refused: " + OneLine(e.Message));
        }

        var addresses = certificate.UserIds.Where(u => u.IsUsable && u.Address is not null).Select(u => u.Address!).DistinctBy(a => a.Canonical).ToList();
        var domains = addresses.Select(a => a.Domain).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (domains.Count > 1)
        {
            // One request confirms one address; a key speaking for other domains is theirs to publish.
            return WksResult.Refused($"the key {certificate.Fingerprint} has user IDs for more than one domain ({string.Join(", ", domains)}); submit a key whose user IDs are all in {identity.Address.Domain}");
        }

        if (addresses.Count == 0)
        {
            return WksResult.Refused($"the key {certificate.Fingerprint} has no valid user ID with a mail address");
        }

        if (addresses.Count > 1)
        {
            return WksResult.Refused($"the key {certificate.Fingerprint} has user IDs for several addresses ({string.Join(", ", addresses.Select(a => a.Canonical))}); submit one address per key");
        }

        var address = addresses[0];
        if (address.Domain != identity.Address.Domain)
        {
            return WksResult.Refused($"{address.Domain} is not a domain served by {identity.Address}; only addresses in {identity.Address.Domain} are accepted");
        }

        if (await _store.GetPasswordHashAsync(address, cancellationToken) is null || IsSubmissionAddress(address))
        {
            return WksResult.Refused($"{address} is not a mailbox hosted here; only hosted addresses are accepted");
        }

        var now = _clock.GetUtcNow();
        var problems = _policy.Validate(certificate, address, now);
        if (problems.Count > 0)
        {
            return WksResult.Refused("the submitted key is refused: " + string.Join("; ", problems.Select(p => p.Message)));
        }

        if (!_perAddress.TryTake(address.Canonical))
        {
            return WksResult.Later($"too many key submissions for {address} this hour; try again later");
        }

        // §4.2: a nonce the submitter can only read with the submitted key proves they hold it and the mailbox.
        var nonce = Base32Nonce(RandomNumberGenerator.GetBytes(20));
        await _lifecycle.AddRequestAsync(
            new WksPendingRequest(SHA256.HashData(Encoding.ASCII.GetBytes(nonce)), address.Canonical, certificate.Fingerprint, certificate.ToBinary(), mail.Client, now, now + _options.NonceLifetime, null),
            cancellationToken);
        var request = ConfirmationRequest(identity.Address, address, certificate, nonce, now);
        _logger.LogInformation(SubmissionEvent, "WKS submission of {Fingerprint} for {Address} from {Client}: confirmation request sent", certificate.Fingerprint, address, mail.Client);
        return new WksResult(true, $"key {certificate.Fingerprint} received; a confirmation request was sent to {address}", Reply: new WksReply(identity.Address, address, request));
    }

    private async Task<WksResult> ConfirmAsync(SubmissionIdentity identity, WksMail mail, byte[] data, CancellationToken cancellationToken)
    {
        var fields = ParseFields(data);
        if (fields.GetValueOrDefault("type") != "confirmation-response")
        {
            return WksResult.Refused($"a Web Key Service message of type '{OneLine(fields.GetValueOrDefault("type") ?? "(none)")}' is not accepted here; expected confirmation-response");
        }

        if (fields.GetValueOrDefault("nonce") is not { Length: > 0 } nonce)
        {
            return WksResult.Refused("the confirmation response has no nonce");
        }

        var request = await _lifecycle.FindRequestAsync(SHA256.HashData(Encoding.ASCII.GetBytes(nonce)), cancellationToken);
        if (request is null)
        {
            return WksResult.Refused("the nonce is unknown: no confirmation request was sent with it");
        }

        if (request.UsedAt is not null)
        {
            return WksResult.Refused($"the nonce was already used on {request.UsedAt:yyyy-MM-dd HH:mm} UTC; a confirmation works once");
        }

        var now = _clock.GetUtcNow();
        if (request.ExpiresAt <= now)
        {
            return WksResult.Refused($"the nonce expired on {request.ExpiresAt:yyyy-MM-dd HH:mm} UTC; submit the key again");
        }

        var address = fields.GetValueOrDefault("address");
        if (address is null || !EmailAddress.TryParse(address, out var claimed, out _) || claimed!.Canonical != request.Address)
        {
            return WksResult.Refused($"the confirmation is for {OneLine(address ?? "(no address)")}, but its nonce was issued for another address");
        }

        if (fields.GetValueOrDefault("sender") is { } sender
            && (!EmailAddress.TryParse(sender, out var senderAddress, out _) || senderAddress!.Canonical != identity.Address.Canonical))
        {
            return WksResult.Refused($"the confirmation names {OneLine(sender)} as the submission address, not {identity.Address}");
        }

        if (!await _lifecycle.ClaimRequestAsync(request.NonceHash, now, cancellationToken))
        {
            return WksResult.Refused("the nonce was already used; a confirmation works once");
        }

        IReadOnlyList<Publication> published;
        try
        {
            published = await _publisher.PublishAsync(request.Certificate, claimed, PublicationChannel.Wks, cancellationToken);
        }
        catch (Exception e) when (e is OpenPgpException or DirectoryException)
        {
            return WksResult.Refused("the key cannot be published: " + OneLine(e.Message));
        }

        _logger.LogInformation(ConfirmationEvent, "WKS confirmation from {Client}: published {Fingerprint} for {Address}", mail.Client, request.Fingerprint, claimed);
        return new WksResult(true, $"key {request.Fingerprint} published for {claimed}", Published: published);
    }

    // RFC 3156 §4: a multipart/encrypted body is decrypted with the submission key and parsed again.
    private MimeEntity Unwrap(MimeEntity? body, SubmissionIdentity identity)
    {
        if (body is null)
        {
            throw new WksFormatException("the message has no body");
        }

        if (body is Multipart multipart && body.ContentType.IsMimeType("multipart", "encrypted"))
        {
            var encrypted = multipart.OfType<MimePart>().FirstOrDefault(p => p.ContentType.IsMimeType("application", "octet-stream"))
                ?? throw new WksFormatException("multipart/encrypted without its application/octet-stream part (RFC 3156 §4)");
            var clear = OpenPgpData.Decrypt(Decoded(encrypted), identity.Key, _options.MaxMessageBytes);
            return MimeEntity.Load(new MemoryStream(clear, writable: false));
        }

        return body;
    }

    private static IEnumerable<MimePart> Parts(MimeEntity entity) => entity switch
    {
        MimePart part => [part],
        Multipart multipart => multipart.SelectMany(Parts),
        _ => [],
    };

    private static byte[] Decoded(MimePart part)
    {
        using var buffer = new MemoryStream();
        part.Content?.DecodeTo(buffer);
        return buffer.ToArray();
    }

    private static bool LooksArmored(byte[] data)
    {
        var text = Encoding.ASCII.GetString(data, 0, Math.Min(data.Length, 64)).TrimStart();
        return text.StartsWith("-----BEGIN PGP", StringComparison.Ordinal);
    }

    // §4.2/§4.3: the WKS payload is "name: value" lines.
    private static Dictionary<string, string> ParseFields(byte[] data)
    {
        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var text = Encoding.UTF8.GetString(data);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = 0;
        // A decrypted MIME entity starts with its own header section; the fields follow the blank line.
        if (lines.Length > 0 && lines[0].StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))
        {
            start = Array.IndexOf(lines, "") + 1;
        }

        foreach (var line in lines.Skip(start))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
            }
        }

        return fields;
    }

    private static byte[] ConfirmationRequest(EmailAddress submissionAddress, EmailAddress address, Certificate certificate, string nonce, DateTimeOffset now)
    {
        var payload = Encoding.UTF8.GetBytes(
            "type: confirmation-request\n"
            + $"sender: {submissionAddress}\n"
            + $"address: {address}\n"
            + $"fingerprint: {certificate.Fingerprint}\n"
            + $"nonce: {nonce}\n");
        var armored = OpenPgpData.EncryptArmored(payload, [certificate], now);
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(null, submissionAddress.ToString()));
        message.To.Add(new MailboxAddress(null, address.ToString()));
        message.Subject = "Confirm your key publication";
        message.Date = now;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(submissionAddress.Domain);
        // §4.2: the draft version this server speaks and the phase, for clients that sort WKS mail.
        message.Headers.Add("Wks-Draft-Version", "3");
        message.Headers.Add("Wks-Phase", "confirm");
        var mixed = new Multipart("mixed")
        {
            new TextPart("plain")
            {
                Text = $"This message was sent because a key ({certificate.Fingerprint}) was submitted for\n"
                    + $"publication for {address}. If you did not ask for this, ignore this message.\n"
                    + "Your mail program (GnuPG's gpg-wks-client --receive) answers it to confirm.\n",
            },
            new MimePart("application", "vnd.gnupg.wks")
            {
                Content = new MimeContent(new MemoryStream(Encoding.ASCII.GetBytes(armored))),
                ContentTransferEncoding = ContentEncoding.SevenBit,
            },
        };
        message.Body = mixed;
        using var output = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return output.ToArray();
    }

    // Long enough that guessing is hopeless (160 bits) and longer than gpg-wks-client's minimum of 16 characters.
    private static string Base32Nonce(byte[] bytes)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var builder = new StringBuilder();
        int buffer = 0, bits = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                builder.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        return builder.ToString();
    }

    private static string OneLine(string text)
    {
        var line = new string(text.Select(c => char.IsControl(c) ? ' ' : c).Take(200).ToArray());
        return line.Trim();
    }

    private sealed record SubmissionIdentity(EmailAddress Address, UnlockedSecretKey Key);
}
