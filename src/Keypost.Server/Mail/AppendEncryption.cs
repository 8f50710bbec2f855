using Keypost.Core.Addresses;
using Keypost.Core.PgpMime;
using Keypost.Store;
using MimeKit;

namespace Keypost.Server.Mail;

/// <summary>
/// Encryption at rest for IMAP APPEND, when the account's domain turned it on (<c>encryptAppendedMessages</c>, off
/// by default): a plaintext message is stored encrypted to the account's current key, as delivery does; encrypted
/// ones and accounts without a key are left alone. The ciphertext goes through a temporary file, deleted unsynced.
/// </summary>
public sealed class AppendEncryption(AtRestKeys keys, AtRestEncryptor encryptor) : IAppendedMessageFilter
{
    public async Task<Stream> PrepareAsync(EmailAddress account, Stream message, CancellationToken cancellationToken)
    {
        if (!message.CanSeek || await keys.FindAsync(account, appended: true, cancellationToken) is not { } certificate)
        {
            return message;
        }

        var start = message.Position;
        var parsed = await MimeMessage.LoadAsync(ParserOptions.Default, message, persistent: true, cancellationToken);
        if (await EncryptionDetector.DetectAsync(parsed, cancellationToken) != ExistingEncryption.None)
        {
            message.Position = start;
            return message;
        }

        message.Position = start;
        var encrypted = new FileStream(
            Path.Combine(Path.GetTempPath(), "keypost-append-" + Guid.NewGuid().ToString("N")),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await encryptor.WriteEncryptedAsync(parsed, message, [certificate], encrypted, cancellationToken);
            encrypted.Position = 0;
            return encrypted;
        }
        catch
        {
            await encrypted.DisposeAsync();
            throw;
        }
    }
}
