using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Keypost.Core.OpenPgp;
using Keypost.Core.PgpMime;
using MimeKit;

namespace Keypost.Client.Reading;

/// <summary>
/// What listing a folder already found for its encrypted and signed messages (state, protected Subject and From),
/// so the next listing fetches headers and structure only. One file per folder, written as a PGP/MIME message
/// encrypted to the user's own key with the same composer the client sends with, and read back with the same
/// reader (integrity checked): nothing of it is plaintext on disk. Keyed by UIDVALIDITY: a new one drops it.
/// </summary>
public sealed class ReadCache(string directory, UnlockedSecretKey key)
{
    private static readonly JsonSerializerOptions Json = new();

    public async Task<IReadOnlyDictionary<uint, ReadMessage>> LoadAsync(string folder, uint uidValidity, CancellationToken cancellationToken)
    {
        var path = PathOf(folder);
        if (!File.Exists(path))
        {
            return new Dictionary<uint, ReadMessage>();
        }

        try
        {
            await using var stream = File.OpenRead(path);
            var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            var read = new PgpMimeReader().Read(message, [key], _ => null);
            if (!read.Encryption.IsEncrypted || read.Body is not TextPart text)
            {
                return new Dictionary<uint, ReadMessage>();
            }

            var file = JsonSerializer.Deserialize<CacheFile>(text.Text, Json);
            if (file is null || file.UidValidity != uidValidity)
            {
                return new Dictionary<uint, ReadMessage>();
            }

            return file.Entries.ToDictionary(
                e => e.Uid,
                e => new ReadMessage(
                    new MessageLocation(folder, uidValidity, e.Uid), e.State, e.Refusal, e.Explanation, e.From, e.Subject, e.Date, e.Size, null, "")
                {
                    Encrypted = e.Encrypted,
                    HeadersProtected = e.HeadersProtected,
                    Signature = e.Signature,
                });
        }
        catch (Exception e) when (e is OpenPgpException or FormatException or JsonException or IOException)
        {
            // A damaged or foreign cache is only a slower listing.
            return new Dictionary<uint, ReadMessage>();
        }
    }

    /// <summary>Keeps the verdicts worth keeping: not plain ones (listed from the envelope anyway) and not those
    /// whose signer was unknown (a later lookup may verify them).</summary>
    public async Task SaveAsync(string folder, uint uidValidity, IEnumerable<ReadMessage> messages, CancellationToken cancellationToken)
    {
        var entries = messages
            .Where(m => m.State != ReadState.Plain || m.Signature is not null)
            .Where(m => m.Signature?.Status != PgpMimeSignatureStatus.UnknownSigner)
            .Select(m => new CacheEntry(m.Uid, m.State, m.Refusal, m.Explanation, m.DisplayFrom, m.DisplaySubject, m.Date, m.Size, m.Encrypted, m.HeadersProtected, m.Signature))
            .ToList();
        var plain = new MimeMessage();
        plain.From.Add(new MailboxAddress("", "read-cache@keypost.invalid"));
        plain.Subject = "keypost read cache";
        plain.Body = new TextPart("plain") { Text = JsonSerializer.Serialize(new CacheFile(uidValidity, entries), Json) };
        var encrypted = new PgpMimeComposer().ComposeEncryptOnly(plain, [key.Certificate]);

        Directory.CreateDirectory(directory);
        var path = PathOf(folder);
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            await encrypted.WriteToAsync(stream, cancellationToken);
        }

        File.Move(temporary, path, overwrite: true);
    }

    // The folder name hashed: names can say something too, and any name is a valid file name this way.
    private string PathOf(string folder) =>
        Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(folder.ToUpperInvariant() == "INBOX" ? "INBOX" : folder))) + ".eml");

    private sealed record CacheFile(uint UidValidity, List<CacheEntry> Entries);

    private sealed record CacheEntry(
        uint Uid,
        ReadState State,
        RefusalReason? Refusal,
        string Explanation,
        string From,
        string Subject,
        DateTimeOffset? Date,
        long Size,
        bool Encrypted,
        bool HeadersProtected,
        PgpMimeSignature? Signature);
}
