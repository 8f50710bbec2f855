using System.Globalization;
using System.Text;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using Keypost.Store;
using MimeKit;

namespace Keypost.Server.Mail;

/// <summary>
/// <c>keypost user encrypt-mailbox</c>: encrypts a mailbox's stored plaintext messages to the account's key, as
/// delivery would have (docs/encryption-at-rest.md). IMAP messages are immutable under their UID (RFC 9051 §2.3.1.1),
/// so each encrypted copy is appended with the same flags and INTERNALDATE and gets a new UID, and the plaintext is
/// expunged after; the old-to-new UID mapping is reported. Resumable: every copy names its source in
/// <see cref="SourceHeader"/>, so a run interrupted between append and expunge only expunges on the next run.
/// </summary>
public sealed class MailboxEncryption(AtRestEncryptor encryptor)
{
    /// <summary>Outside the encryption: "UIDVALIDITY/UID" of the plaintext message this copy replaces.</summary>
    public const string SourceHeader = "X-Keypost-Encrypted-From";

    private static readonly FormatOptions Wire = new() { NewLineFormat = NewLineFormat.Dos };

    /// <summary>Returns (old UID, new UID) for each message encrypted now, and how many were skipped as already encrypted.</summary>
    public async Task<(IReadOnlyList<(uint Old, uint New)> Encrypted, int AlreadyEncrypted)> EncryptAsync(
        IMailbox mailbox, Certificate certificate, CancellationToken cancellationToken)
    {
        var state = await mailbox.SnapshotAsync(cancellationToken);
        var parsed = new List<(MessageEntry Entry, string? Source)>();
        foreach (var entry in state.Messages)
        {
            await using var stream = mailbox.OpenMessage(entry);
            if (stream is null)
            {
                continue;
            }

            var headers = await HeaderList.LoadAsync(ParserOptions.Default, stream, cancellationToken);
            parsed.Add((entry, headers[SourceHeader]?.Trim()));
        }

        var converted = parsed.Where(p => p.Source is not null).Select(p => p.Source!).ToHashSet(StringComparer.Ordinal);
        var done = new List<(uint, uint)>();
        var skipped = 0;
        foreach (var (entry, source) in parsed)
        {
            if (source is not null)
            {
                skipped++;
                continue;
            }

            var key = string.Create(CultureInfo.InvariantCulture, $"{state.UidValidity}/{entry.Uid}");
            if (converted.Contains(key))
            {
                // The encrypted copy was appended before an interruption: only the plaintext is left to remove.
                await mailbox.ExpungeAsync((uid, _) => uid == entry.Uid, cancellationToken);
                continue;
            }

            await using var original = mailbox.OpenMessage(entry);
            if (original is null)
            {
                continue;
            }

            var message = await MimeMessage.LoadAsync(ParserOptions.Default, original, persistent: true, cancellationToken);
            if (await EncryptionDetector.DetectAsync(message, cancellationToken) != ExistingEncryption.None)
            {
                skipped++;
                continue;
            }

            await using var encrypted = TemporaryFile();
            var outside = new HeaderList();
            foreach (var header in message.Headers.Where(h => h.Id == HeaderId.ReturnPath || h.Field.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase)))
            {
                outside.Add(header.Clone());
            }

            outside.Add(SourceHeader, key);
            // HeaderList.WriteTo ends the header block with an empty line; these fields go in front of the
            // encryptor's own header block, so that line is dropped (RFC 5322 §2.1: one header section).
            using (var fields = new MemoryStream())
            {
                await outside.WriteToAsync(Wire, fields, cancellationToken);
                var length = (int)fields.Length;
                var bytes = fields.GetBuffer();
                if (length >= 2 && bytes[length - 2] == '\r' && bytes[length - 1] == '\n' && (length == 2 || (length >= 4 && bytes[length - 4] == '\r' && bytes[length - 3] == '\n')))
                {
                    length -= 2;
                }

                await encrypted.WriteAsync(bytes.AsMemory(0, length), cancellationToken);
            }
            original.Position = 0;
            await encryptor.WriteEncryptedAsync(message, original, [certificate], encrypted, cancellationToken);
            encrypted.Position = 0;
            var (_, uid) = await mailbox.AppendAsync(encrypted, entry.Flags, entry.InternalDate, cancellationToken);
            await mailbox.ExpungeAsync((uid, _) => uid == entry.Uid, cancellationToken);
            done.Add((entry.Uid, uid));
        }

        return (done, skipped);
    }

    // The ciphertext on its way to the store: deleted on close and never fsync'ed (the store writes it durably).
    private static FileStream TemporaryFile() => new(
        Path.Combine(Path.GetTempPath(), "keypost-encrypt-" + Guid.NewGuid().ToString("N")),
        FileMode.CreateNew,
        FileAccess.ReadWrite,
        FileShare.None,
        81920,
        FileOptions.DeleteOnClose | FileOptions.Asynchronous);
}
