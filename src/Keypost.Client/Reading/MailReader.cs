using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Core.Text;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Keypost.Client.Reading;

/// <summary>
/// In charge of reading mail: fetch, decrypt locally, verify the signer and say what was verified.
/// Luke's side: list a folder over IMAP with each message's own state, read one message by UID, decrypt locally
/// (integrity protection required) and verify signatures with <see cref="SignerKeys"/>. One bad message never
/// stops the others: every failure of one message becomes that message's refusal.
/// </summary>
/// <remarks>Without a secret key (null) only folders and moves work.</remarks>
public sealed class MailReader(UnlockedSecretKey? reader, MailServerConnection server, SignerKeys signers, long maxMessageBytes = PgpMimeReader.DefaultMaxPlaintextBytes)
{
    public const string Inbox = "INBOX";

    /// <summary>Where listing keeps what it found, so the next listing need not fetch and decrypt again.</summary>
    public ReadCache? Cache { get; init; }

    /// <summary>Earlier secret keys of the reader (kept after a rotation): mail encrypted to them still decrypts.</summary>
    public IReadOnlyList<UnlockedSecretKey> EarlierKeys { get; init; } = [];

    /// <summary>Checks the sender's key proof a message may carry (no lookup); null leaves it unchecked.</summary>
    public SenderKeyProofChecker? SenderProofs { get; init; }

    /// <summary>
    /// Lists <paramref name="folder"/>: one FETCH of headers and structure (RFC 9051 ENVELOPE, BODYSTRUCTURE) for
    /// all messages; only messages whose structure is encrypted or signed are fetched whole and read, one by one.
    /// Plain messages are listed from their envelope and never downloaded.
    /// </summary>
    public async Task<MailboxListing> ListAsync(string folder, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var imap = await ConnectAsync(cancellationToken);
        try
        {
            var mailFolder = await OpenAsync(imap, folder, FolderAccess.ReadOnly, cancellationToken);
            var validity = mailFolder.UidValidity;
            IList<IMessageSummary> summaries;
            var unreadable = new List<UniqueId>();
            try
            {
                summaries = mailFolder.Count == 0 ? [] : await mailFolder.FetchAsync(0, -1, ListItems, cancellationToken);
            }
            catch (ImapProtocolException)
            {
                // One message's structure the client cannot parse (MailKit drops the connection on a protocol
                // error): list the others one by one, and read the odd one whole.
                imap.Dispose();
                (imap, mailFolder, summaries, unreadable) = await FetchOneByOneAsync(folder, validity, cancellationToken);
            }

            var cached = Cache is null ? new Dictionary<uint, ReadMessage>() : await Cache.LoadAsync(folder, validity, cancellationToken);
            var messages = new List<ReadMessage>(summaries.Count + unreadable.Count);
            var done = 0;
            var total = summaries.Count + unreadable.Count;
            foreach (var item in summaries.Select(s => (s.UniqueId, Summary: (IMessageSummary?)s))
                         .Concat(unreadable.Select(u => (UniqueId: u, Summary: (IMessageSummary?)null)))
                         .OrderBy(i => i.UniqueId.Id))
            {
                var location = new MessageLocation(folder, validity, item.UniqueId.Id);
                messages.Add(cached.TryGetValue(item.UniqueId.Id, out var known) && item.Summary is not null
                    ? known
                    : await ListOneAsync(mailFolder, location, item.UniqueId, item.Summary, cancellationToken));
                if (++done % 50 == 0)
                {
                    progress?.Report($"{done}/{total} messages listed");
                }
            }

            int? junk = null;
            if (string.Equals(folder, Inbox, StringComparison.OrdinalIgnoreCase) && await FindJunkAsync(imap, cancellationToken) is { } junkFolder)
            {
                await junkFolder.StatusAsync(StatusItems.Count, cancellationToken);
                junk = junkFolder.Count;
            }

            await imap.DisconnectAsync(quit: true, cancellationToken);
            if (Cache is not null)
            {
                await Cache.SaveAsync(folder, validity, messages, cancellationToken);
            }

            return new MailboxListing(folder, validity, messages, junk);
        }
        finally
        {
            imap.Dispose();
        }
    }

    private const MessageSummaryItems ListItems =
        MessageSummaryItems.UniqueId | MessageSummaryItems.Envelope | MessageSummaryItems.BodyStructure | MessageSummaryItems.Size;

    private async Task<(ImapClient, IMailFolder, IList<IMessageSummary>, List<UniqueId>)> FetchOneByOneAsync(
        string folder, uint validity, CancellationToken cancellationToken)
    {
        var imap = await ConnectAsync(cancellationToken);
        var mailFolder = await OpenAsync(imap, folder, FolderAccess.ReadOnly, cancellationToken);
        Check(mailFolder, folder, validity);
        var summaries = new List<IMessageSummary>();
        var unreadable = new List<UniqueId>();
        foreach (var uid in await mailFolder.SearchAsync(MailKit.Search.SearchQuery.All, cancellationToken))
        {
            try
            {
                summaries.AddRange(await mailFolder.FetchAsync([uid], ListItems, cancellationToken));
            }
            catch (ImapProtocolException)
            {
                unreadable.Add(uid);
                imap.Dispose();
                imap = await ConnectAsync(cancellationToken);
                mailFolder = await OpenAsync(imap, folder, FolderAccess.ReadOnly, cancellationToken);
                Check(mailFolder, folder, validity);
            }
        }

        return (imap, mailFolder, summaries, unreadable);
    }

    /// <summary>
    /// Reads one message: one UID FETCH of that message and one decryption. Never looks a key up (opening a
    /// message must not tell the sender's domain); the signer's key is the one already held.
    /// </summary>
    /// <param name="uidValidity">The folder's UIDVALIDITY when the UID was listed; null to trust the UID as is.</param>
    /// <exception cref="StaleListingException">The folder's UIDVALIDITY is no longer <paramref name="uidValidity"/>.</exception>
    /// <exception cref="NoSuchMessageException">No such folder or UID.</exception>
    public async Task<ReadMessage> ReadAsync(string folder, uint uid, uint? uidValidity, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var (message, location) = await FetchAsync(folder, uid, uidValidity, progress, cancellationToken);
        return await EvaluateAsync(message, location, -1, mayLookUp: false, cancellationToken);
    }

    /// <summary>
    /// The fetching half of <see cref="ReadAsync"/>, for a caller that unlocks the secret key meanwhile and then
    /// calls <see cref="EvaluateAsync"/>.
    /// </summary>
    public async Task<(MimeMessage Message, MessageLocation Location)> FetchAsync(
        string folder, uint uid, uint? uidValidity, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        using var imap = await ConnectAsync(cancellationToken);
        var mailFolder = await OpenAsync(imap, folder, FolderAccess.ReadOnly, cancellationToken);
        var validity = Check(mailFolder, folder, uidValidity);
        MimeMessage message;
        try
        {
            progress?.Report($"fetching message {uid}");
            message = await mailFolder.GetMessageAsync(new UniqueId(validity, uid), cancellationToken);
        }
        catch (Exception e) when (e is MessageNotFoundException or ImapCommandException)
        {
            throw new NoSuchMessageException($"no message {uid} in {folder}");
        }

        await imap.DisconnectAsync(quit: true, cancellationToken);
        return (message, new MessageLocation(folder, validity, uid));
    }

    /// <summary>The user's folders with their counts.</summary>
    public async Task<IReadOnlyList<MailFolderInfo>> FoldersAsync(CancellationToken cancellationToken)
    {
        using var imap = await ConnectAsync(cancellationToken);
        var junk = await FindJunkAsync(imap, cancellationToken);
        var result = new List<MailFolderInfo>();
        var folders = new List<IMailFolder> { imap.Inbox };
        folders.AddRange((await imap.GetFoldersAsync(imap.PersonalNamespaces[0], cancellationToken: cancellationToken))
            .Where(f => !string.Equals(f.FullName, Inbox, StringComparison.OrdinalIgnoreCase)));
        foreach (var folder in folders.Where(f => !f.Attributes.HasFlag(FolderAttributes.NonExistent) && !f.Attributes.HasFlag(FolderAttributes.NoSelect)))
        {
            await folder.StatusAsync(StatusItems.Count | StatusItems.Unread, cancellationToken);
            result.Add(new MailFolderInfo(DisplayText.Escape(folder.FullName), folder.Count, folder.Unread, junk is not null && folder.FullName == junk.FullName));
        }

        await imap.DisconnectAsync(quit: true, cancellationToken);
        return result;
    }

    /// <summary>Moves one message (RFC 6851 MOVE, or MailKit's COPY+EXPUNGE fallback) to <paramref name="target"/>.</summary>
    public async Task<MessageLocation?> MoveAsync(string folder, uint uid, uint? uidValidity, string target, CancellationToken cancellationToken)
    {
        using var imap = await ConnectAsync(cancellationToken);
        IMailFolder destination;
        try
        {
            destination = string.Equals(target, Inbox, StringComparison.OrdinalIgnoreCase) ? imap.Inbox : await imap.GetFolderAsync(target, cancellationToken);
        }
        catch (FolderNotFoundException)
        {
            throw new NoSuchMessageException($"no folder {target}");
        }

        var source = await OpenAsync(imap, folder, FolderAccess.ReadWrite, cancellationToken);
        var validity = Check(source, folder, uidValidity);
        var found = await source.SearchAsync(MailKit.Search.SearchQuery.Uids([new UniqueId(validity, uid)]), cancellationToken);
        if (found.Count == 0)
        {
            throw new NoSuchMessageException($"no message {uid} in {folder}");
        }

        var moved = await source.MoveToAsync(found[0], destination, cancellationToken);
        await imap.DisconnectAsync(quit: true, cancellationToken);
        return moved is { } newUid ? new MessageLocation(destination.FullName, newUid.Validity, newUid.Id) : null;
    }

    /// <summary>
    /// Reads one message already fetched. Never throws for what the message holds: a message that cannot be
    /// read is refused with its reason. Only cancellation escapes.
    /// </summary>
    /// <param name="mayLookUp">True while listing a folder (at most one lookup per sender per period).</param>
    public async Task<ReadMessage> EvaluateAsync(MimeMessage message, MessageLocation location, long size, bool mayLookUp, CancellationToken cancellationToken)
    {
        var outerFrom = DisplayText.Escape(message.From.ToString());
        var outerSubject = DisplayText.Escape(message.Subject ?? "");
        DateTimeOffset? outerDate = message.Headers.Contains(HeaderId.Date) ? message.Date : null;
        try
        {
            var read = await new PgpMimeReader(maxMessageBytes).ReadAsync(
                message,
                [reader ?? throw new InvalidOperationException("this reader was made without a secret key (folders and moves only)"), .. EarlierKeys],
                (keyId, from, ct) => signers.FindAsync(keyId, from, mayLookUp, ct),
                cancellationToken);
            var (state, explanation) = Judge(read);
            var keyProof = SenderProofs is null ? null : await SenderProofs.CheckAsync(read, cancellationToken);
            return new ReadMessage(location, state, null, explanation, read.DisplayFrom, read.DisplaySubject, read.Date, size, read, FirstText(read.Body) ?? "")
            {
                KeyProof = keyProof,
            };
        }
        catch (OpenPgpException e)
        {
            var reason = e.Error switch
            {
                OpenPgpError.IntegrityCheckFailed or OpenPgpError.NotIntegrityProtected => RefusalReason.Altered,
                OpenPgpError.NoDecryptionKey => RefusalReason.NoKey,
                OpenPgpError.TooLarge => RefusalReason.TooLarge,
                _ => RefusalReason.Malformed,
            };
            return Refused(location, reason, e.Message, outerFrom, outerSubject, outerDate, size);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else one message's bytes can make a parser throw is that message's problem only.
            return Refused(location, RefusalReason.Malformed, e.Message, outerFrom, outerSubject, outerDate, size);
        }
    }

    // A message without a summary (its structure could not be parsed) is read whole.
    private async Task<ReadMessage> ListOneAsync(IMailFolder folder, MessageLocation location, UniqueId uid, IMessageSummary? summary, CancellationToken cancellationToken)
    {
        var size = (long)(summary?.Size ?? 0);
        var envelope = summary?.Envelope;
        var from = DisplayText.Escape(envelope?.From?.ToString() ?? "");
        var subject = DisplayText.Escape(envelope?.Subject ?? "");
        var date = envelope?.Date;
        if (summary is not null && !NeedsBody(summary.Body))
        {
            return new ReadMessage(location, ReadState.Plain, null, "not encrypted, not signed", from, subject, date, size, null, "");
        }

        if (size > maxMessageBytes)
        {
            return Refused(location, RefusalReason.TooLarge, $"the message is {size} bytes, over the {maxMessageBytes}-byte limit", from, subject, date, size);
        }

        try
        {
            var message = await folder.GetMessageAsync(uid, cancellationToken);
            return await EvaluateAsync(message, location, size, mayLookUp: true, cancellationToken);
        }
        catch (Exception e) when (e is FormatException or ParseException or MessageNotFoundException)
        {
            return Refused(location, RefusalReason.Malformed, e.Message, from, subject, date, size);
        }
    }

    // Encrypted or signed somewhere in the structure: only then is there anything to decrypt or verify. A plain
    // message holding stray ciphertext is listed as plain; reading it shows the ciphertext as an attachment.
    private static bool NeedsBody(BodyPart? body) => body switch
    {
        BodyPartMultipart multipart when multipart.ContentType.IsMimeType("multipart", "encrypted")
                                         || multipart.ContentType.IsMimeType("multipart", "signed") => true,
        BodyPartMultipart multipart => multipart.BodyParts.Any(NeedsBody),
        BodyPartBasic basic => basic.ContentType.IsMimeType("application", "pgp-encrypted"),
        _ => false,
    };

    private static (ReadState State, string Explanation) Judge(PgpMimeReadResult read)
    {
        var signature = read.Signature;
        var signed = signature.IsValid
            ? $"signed by {signature.SignerAddress}, key {signature.SignerFingerprint}"
            : $"signature NOT verified: {DisplayText.Escape(signature.Reason)}";
        if (read.Encryption.IsEncrypted)
        {
            return signature.Status switch
            {
                PgpMimeSignatureStatus.Valid => (ReadState.EncryptedAndVerified, "encrypted, " + signed),
                PgpMimeSignatureStatus.Unsigned => (ReadState.EncryptedUnsigned, "encrypted, not signed"),
                _ => (ReadState.EncryptedSignatureNotVerified, "encrypted, " + signed),
            };
        }

        return signature.Status switch
        {
            PgpMimeSignatureStatus.Valid => (ReadState.SignedOnly, "NOT encrypted, " + signed),
            PgpMimeSignatureStatus.Unsigned => (ReadState.Plain, "not encrypted, not signed"),
            _ => (ReadState.SignatureNotVerified, "NOT encrypted, " + signed),
        };
    }

    private static ReadMessage Refused(MessageLocation location, RefusalReason reason, string detail, string from, string subject, DateTimeOffset? date, long size)
    {
        var why = reason switch
        {
            RefusalReason.Altered => "altered or not integrity protected",
            RefusalReason.NoKey => "not encrypted to any of your keys",
            RefusalReason.TooLarge => "too large",
            _ => "malformed",
        };
        return new ReadMessage(location, ReadState.Refused, reason, $"REFUSED ({why}): {DisplayText.Escape(detail, 300)}", from, subject, date, size, null, "");
    }

    private static uint Check(IMailFolder folder, string name, uint? listed)
    {
        if (listed is { } expected && folder.UidValidity != expected)
        {
            throw new StaleListingException(name, expected, folder.UidValidity);
        }

        return folder.UidValidity;
    }

    private async Task<ImapClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var imap = new ImapClient { ServerCertificateValidationCallback = (_, c, ch, e) => server.ValidateCertificate(c, ch, e) };
        try
        {
            await imap.ConnectAsync(server.Host, server.ImapPort, SecureSocketOptions.SslOnConnect, cancellationToken);
            await imap.AuthenticateAsync(server.UserName, server.Password, cancellationToken);
            return imap;
        }
        catch
        {
            imap.Dispose();
            throw;
        }
    }

    private static async Task<IMailFolder> OpenAsync(ImapClient imap, string folder, FolderAccess access, CancellationToken cancellationToken)
    {
        IMailFolder mailFolder;
        try
        {
            mailFolder = string.Equals(folder, Inbox, StringComparison.OrdinalIgnoreCase) ? imap.Inbox : await imap.GetFolderAsync(folder, cancellationToken);
        }
        catch (FolderNotFoundException)
        {
            throw new NoSuchMessageException($"no folder {folder}");
        }

        await mailFolder.OpenAsync(access, cancellationToken);
        return mailFolder;
    }

    // RFC 6154 \Junk when the server marks it, else a folder named Junk.
    private static async Task<IMailFolder?> FindJunkAsync(ImapClient imap, CancellationToken cancellationToken)
    {
        if ((imap.Capabilities & (ImapCapabilities.SpecialUse | ImapCapabilities.XList)) != 0 && imap.GetFolder(SpecialFolder.Junk) is { } special)
        {
            return special;
        }

        try
        {
            return await imap.GetFolderAsync("Junk", cancellationToken);
        }
        catch (FolderNotFoundException)
        {
            return null;
        }
    }

    private static string? FirstText(MimeEntity? entity) => entity switch
    {
        TextPart { IsAttachment: false } text => text.Text,
        Multipart multipart => multipart.Select(FirstText).FirstOrDefault(t => t is not null),
        // Encryption at rest wraps the original as an inline message/rfc822 part (docs/encryption-at-rest.md).
        MessagePart { IsAttachment: false, Message.Body: { } inner } => FirstText(inner),
        _ => null,
    };
}
