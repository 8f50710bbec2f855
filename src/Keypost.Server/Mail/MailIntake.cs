using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Keypost.Mail.Authentication;
using Keypost.Mail.Dkim;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Keypost.Server.Gateway;
using MimeKit;

namespace Keypost.Server.Mail;

/// <summary>
/// In charge of the server's side of mail: accepting messages into the queue and the store, with encryption at rest.
/// What happens between the end of DATA and the 250: inbound mail is authenticated (SPF, DKIM, DMARC) and
/// stamped, submitted mail is DKIM-signed for its domain; both get a Received line and are queued durably.
/// With a <paramref name="gateway"/>, submitted plaintext may be encrypted first; with <paramref name="junk"/>,
/// inbound encrypted mail of unverified origin is marked for the Junk folder; with <paramref name="atRest"/>, plaintext
/// for an account with a published key is queued already encrypted to it (docs/encryption-at-rest.md).
/// </summary>
public sealed class MailIntake(
    MessageQueue queue,
    InboundAuthenticator authenticator,
    DkimSigningService signer,
    string hostName,
    bool honourDmarcReject,
    TimeProvider clock,
    SubmissionGateway? gateway = null,
    JunkFiling? junk = null,
    AtRestIntake? atRest = null) : IMessageAcceptor
{
    /// <summary>
    /// A header older Keypost versions wrote to choose a folder; the choice is queue metadata now, and a copy
    /// arriving from outside is still removed so no sender can pick a folder in a local mailbox.
    /// </summary>
    public const string FolderHeader = "X-Keypost-Folder";

    public async Task<AcceptResult> AcceptAsync(SmtpSessionInfo session, SmtpEnvelope envelope, Stream message, CancellationToken cancellationToken)
    {
        // One pass: the session's buffer (a spill file past 1 MiB) is parsed once, persistent, so the parsed parts
        // point into that file instead of copying it; the queue's data file is then written straight from the tree.
        await using var spool = message.CanSeek ? null : await SeekableCopyAsync(message, cancellationToken);
        var source = spool ?? message;
        var start = source.Position;
        MimeMessage parsed;
        try
        {
            parsed = await MimeMessage.LoadAsync(ParserOptions.Default, source, persistent: true, cancellationToken);
        }
        catch (FormatException)
        {
            // Retrying cannot make this a message: refuse for good (RFC 3463 5.6.0) rather than 451 retried for days.
            return new AcceptResult(554, "5.6.0", "message refused: its header section cannot be parsed (RFC 5322 section 2.2)");
        }

        var wire = new FormatOptions { NewLineFormat = NewLineFormat.Dos };
        if (session.Kind == SmtpListenerKind.Inbound)
        {
            var result = await authenticator.AuthenticateAsync(parsed, session.RemoteAddress, session.HeloName, envelope.ReversePath?.ToString(), cancellationToken);
            if (result.Disposition == MessageDisposition.Reject && honourDmarcReject)
            {
                // RFC 7489 §6.6.1: without exactly one author domain DMARC cannot run; say what is wrong with From.
                if (result.Dmarc.FromDomain is null)
                {
                    return new AcceptResult(550, "5.7.1", $"message refused: {result.Dmarc.Reason ?? "no usable From address"}; exactly one From address with a domain is required (RFC 5322 section 3.6.2)");
                }

                // RFC 7489 §10.3: reject during the SMTP transaction, naming DMARC.
                return new AcceptResult(550, "5.7.1", $"rejected by the DMARC policy of {result.Dmarc.FromDomain}");
            }

            parsed.Headers.RemoveAll(FolderHeader);
            authenticator.Stamp(parsed, result);
            var folder = junk is not null && junk.ShouldFileInJunk(parsed, result, envelope.Recipients) ? "Junk" : null;
            var head = new StringBuilder(ReceivedHeader(session, envelope));
            if (result.Disposition == MessageDisposition.Quarantine)
            {
                head.Append("X-Keypost-Quarantine: DMARC policy of the From domain says quarantine\r\n");
            }

            var headBytes = Encoding.UTF8.GetBytes(head.ToString());
            // The folder travels beside the message in the queue, not inside it.
            var queueEnvelope = envelope.ToQueueEnvelope(folder);
            var queuedIds = new List<string>();
            if (atRest is not null)
            {
                // Everything that needs the plaintext (DMARC, the Junk decision) has run: encrypt now, before
                // anything is written durably. Our trace line and verdict stay outside the encryption.
                var plan = await atRest.PlanAsync(parsed, envelope.Recipients, cancellationToken);
                if (plan.Count > 0)
                {
                    var trace = Encoding.UTF8.GetBytes(head + AuthenticationResultsHeader.ToHeaderLine(result.HeaderValue));
                    queuedIds.AddRange(await atRest.EnqueueAsync(queueEnvelope, plan, trace, parsed, source, start, cancellationToken));
                    queueEnvelope = queueEnvelope with { Recipients = queueEnvelope.Recipients.Except(plan.Select(p => p.Recipient)).ToList() };
                }
            }

            if (queueEnvelope.Recipients.Count > 0)
            {
                queuedIds.Add(await queue.EnqueueAsync(
                    queueEnvelope,
                    async (file, ct) =>
                    {
                        await file.WriteAsync(headBytes, ct);
                        await parsed.WriteToAsync(wire, file, ct);
                    },
                    cancellationToken));
            }

            return AcceptResult.Queued(string.Join(' ', queuedIds));
        }

        // A local user must not choose a folder in another local user's mailbox either.
        parsed.Headers.RemoveAll(FolderHeader);
        if (gateway is null)
        {
            return AcceptResult.Queued(await EnqueueSubmittedAsync(session, envelope, parsed, source, start, cancellationToken));
        }

        // The gateway encrypts in memory (BouncyCastle over the whole plaintext): the one path that still holds
        // the message whole, bounded by the submission size limit.
        using var plain = new MemoryStream();
        await parsed.WriteToAsync(wire, plain, cancellationToken);
        IReadOnlyList<GatewayCopy> copies;
        try
        {
            copies = await gateway.ProcessAsync(envelope, plain.ToArray(), cancellationToken);
        }
        catch (GatewayRefusedException e)
        {
            // RFC 3463 §3.8 5.7.x: refused for a security reason, which the text names.
            return new AcceptResult(554, "5.7.1", e.Message);
        }

        // Bcc recipients get copies of their own: each is traced, signed and queued with its own envelope.
        var ids = new List<string>(copies.Count);
        foreach (var copy in copies)
        {
            var copySource = new MemoryStream(copy.Data, writable: false);
            var copyParsed = await MimeMessage.LoadAsync(ParserOptions.Default, new MemoryStream(copy.Data, writable: false), persistent: true, cancellationToken);
            ids.Add(await EnqueueSubmittedAsync(session, copy.Envelope, copyParsed, copySource, 0, cancellationToken));
        }

        return AcceptResult.Queued(string.Join(' ', ids));
    }

    private async Task<string> EnqueueSubmittedAsync(SmtpSessionInfo session, SmtpEnvelope envelope, MimeMessage parsed, Stream source, long start, CancellationToken cancellationToken)
    {
        // RFC 5321 §4.4: the trace line goes on top, kept exactly as written (raw value, our folding).
        var received = ReceivedHeader(session, envelope);
        var trace = new Header("Received", "-");
        trace.SetRawValue(Encoding.UTF8.GetBytes(received["Received:".Length..]));
        parsed.Headers.Insert(0, trace);
        if (envelope.ReversePath is { } sender)
        {
            source.Position = start;
            var sevenBit = await DkimSigningService.IsSevenBitCleanAsync(source, cancellationToken);
            await signer.SignAsync(parsed, sender.Domain, sevenBit, cancellationToken);
        }

        var wire = new FormatOptions { NewLineFormat = NewLineFormat.Dos };
        var queueEnvelope = envelope.ToQueueEnvelope();
        var ids = new List<string>();
        if (atRest is not null && await atRest.PlanAsync(parsed, envelope.Recipients, cancellationToken) is { Count: > 0 } plan)
        {
            // A local recipient of submitted plaintext: the signed message (without our trace line, which stays
            // outside) is spooled to a temporary file, encrypted from there, and the file deleted unsynced.
            parsed.Headers.Remove(trace);
            await using (var plain = await SeekableCopyAsync(parsed, wire, cancellationToken))
            {
                ids.AddRange(await atRest.EnqueueAsync(queueEnvelope, plan, Encoding.UTF8.GetBytes(received), parsed, plain, 0, cancellationToken));
            }

            parsed.Headers.Insert(0, trace);
            queueEnvelope = queueEnvelope with { Recipients = queueEnvelope.Recipients.Except(plan.Select(p => p.Recipient)).ToList() };
        }

        if (queueEnvelope.Recipients.Count > 0)
        {
            ids.Add(await queue.EnqueueAsync(queueEnvelope, (file, ct) => parsed.WriteToAsync(wire, file, ct), cancellationToken));
        }

        return string.Join(' ', ids);
    }

    private static async Task<Stream> SeekableCopyAsync(MimeMessage message, FormatOptions wire, CancellationToken cancellationToken)
    {
        var file = TemporaryFile();
        try
        {
            await message.WriteToAsync(wire, file, cancellationToken);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    // Plaintext spool: created in the temporary directory, deleted on close, never fsync'ed (it is not mail
    // Keypost keeps; docs/encryption-at-rest.md).
    private static FileStream TemporaryFile() => new(
        Path.Combine(Path.GetTempPath(), "keypost-intake-" + Guid.NewGuid().ToString("N")),
        FileMode.CreateNew,
        FileAccess.ReadWrite,
        FileShare.None,
        81920,
        FileOptions.DeleteOnClose | FileOptions.Asynchronous);

    // Streams that cannot seek (not the SMTP session's buffer, which can) are spooled to a temporary file first.
    private static async Task<Stream> SeekableCopyAsync(Stream message, CancellationToken cancellationToken)
    {
        var file = TemporaryFile();
        await message.CopyToAsync(file, cancellationToken);
        file.Position = 0;
        return file;
    }

    // RFC 5321 §4.4 trace line; RFC 3848 protocol names say whether TLS and AUTH were used.
    private string ReceivedHeader(SmtpSessionInfo session, SmtpEnvelope envelope)
    {
        var protocol = "ESMTP" + (session.IsSecure ? "S" : "") + (session.AuthenticatedAccount is null ? "" : "A");
        var address = session.RemoteAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6:" + session.RemoteAddress : session.RemoteAddress.ToString();
        var forClause = envelope.Recipients.Count == 1 ? $"\r\n\tfor <{envelope.Recipients[0]}>" : "";
        var date = clock.GetUtcNow().ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
        return $"Received: from {Sanitize(session.HeloName)} ([{address}])\r\n\tby {hostName} with {protocol}{forClause};\r\n\t{date}\r\n";
    }

    // The HELO argument is the client's word: keep only what a host name or address literal can hold.
    private static string Sanitize(string helo)
    {
        var kept = new string(helo.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']').Take(255).ToArray());
        return kept.Length == 0 ? "unknown" : kept;
    }
}
