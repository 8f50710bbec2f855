using System.Security.Cryptography;
using Keypost.Core.Addresses;
using Keypost.Directory.Migration;
using Keypost.Directory.Storage;
using Keypost.Mail.Dkim;
using Keypost.Mail.Queue;
using Keypost.Server.Configuration;
using Keypost.Store;
using Keypost.Store.Maildir;
using Keypost.Store.Postgres;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Keypost.Server.Migration;

/// <summary>
/// <c>keypost storage migrate --to postgres</c> (docs/postgres.md): copies a single-node installation (the SQLite
/// directory and transparency log, DKIM key files, the file queue and every Maildir) into the PostgreSQL database
/// several nodes will share, through each part's own store types, keeping every key: certificate ids, log epochs,
/// queue ids, mailboxes' UIDVALIDITY and UIDNEXT, messages' UIDs, flags and INTERNALDATE. Resumable: what the target
/// holds already (by those keys) is skipped, so a second run or a run after a kill finishes the rest. Verified after
/// copying: counts and SHA-256 digests per table, per DKIM key, per queued message and per stored message.
/// Run it with the single node stopped: mail arriving meanwhile would not be copied.
/// </summary>
public sealed class StorageMigrator(KeypostConfig config, string connectionString, ILogger? logger = null)
{
    // Messages per transaction into a mailbox: a killed run keeps what it committed.
    private const int BatchMessages = 100;
    private const long BatchBytes = 32L << 20;

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public async Task<MigrationSummary> MigrateAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(config.DatabasePath))
        {
            throw new StorageMigrationException($"no single-node installation to migrate: {config.DatabasePath} does not exist");
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var source = await DirectoryDatabase.OpenAsync(config.DatabasePath, cancellationToken);
        IReadOnlyList<TableCopyResult> tables;
        await using (var target = await DirectoryDatabase.OpenPostgresAsync(dataSource, ownsDataSource: false, cancellationToken))
        {
            tables = await DirectoryCopier.CopyAsync(source, target, cancellationToken);
        }

        _logger.LogInformation("Directory copied: {Rows} rows in {Tables} tables", tables.Sum(t => t.Rows), tables.Count);
        var (dkim, dkimCopied) = await CopyDkimKeysAsync(dataSource, cancellationToken);
        var (queued, queuedCopied) = await CopyQueueAsync(dataSource, cancellationToken);
        var accounts = await source.QueryAsync("SELECT address FROM accounts", r => r.GetString(0), cancellationToken);
        var mail = await CopyMailboxesAsync(dataSource, accounts, cancellationToken);
        return new MigrationSummary(tables, dkim, dkimCopied, queued, queuedCopied, mail.Accounts, mail.Mailboxes, mail.Messages, mail.Copied);
    }

    private async Task<(int Keys, int Copied)> CopyDkimKeysAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var files = await new DkimKeyStore(config.DkimDirectory).ListAsync(cancellationToken);
        var database = await DkimKeyStore.OpenPostgresAsync(dataSource, null, cancellationToken);
        var copied = 0;
        foreach (var key in files)
        {
            copied += await database.ImportAsync(key, cancellationToken) ? 1 : 0;
        }

        // The key in DNS is the file's: a different key under the same selector in the database would break signatures.
        var stored = (await database.ListAsync(cancellationToken)).ToDictionary(k => (k.Domain, k.Selector));
        foreach (var key in files)
        {
            if (!stored.TryGetValue((key.Domain, key.Selector), out var there) || there.Algorithm != key.Algorithm || Sha256(there.Pem) != Sha256(key.Pem))
            {
                throw new StorageMigrationException($"the DKIM key {key.Selector} of {key.Domain} in PostgreSQL is not the one in {config.DkimDirectory} (was the database used before the migration?)");
            }
        }

        return (files.Count, copied);
    }

    private async Task<(int Messages, int Copied)> CopyQueueAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(config.QueueDirectory, "queue.db")))
        {
            return (0, 0);
        }

        using var from = await MessageQueue.OpenAsync(config.QueueDirectory, cancellationToken: cancellationToken);
        using var to = await MessageQueue.OpenPostgresAsync(dataSource, cancellationToken: cancellationToken);
        var messages = await from.ListAsync(cancellationToken);
        var copied = 0;
        foreach (var message in messages)
        {
            var data = await ReadAllAsync(from.OpenData(message.Id), cancellationToken);
            copied += await to.ImportAsync(message, data, cancellationToken) ? 1 : 0;
            var there = await to.GetAsync(message.Id, cancellationToken);
            var stored = await ReadAllAsync(to.OpenData(message.Id), cancellationToken);
            if (there is null || there.Recipients.Count != message.Recipients.Count || Sha256(stored) != Sha256(data))
            {
                throw new StorageMigrationException($"queued message {message.Id} in PostgreSQL is not the one in {config.QueueDirectory}");
            }
        }

        return (messages.Count, copied);
    }

    private async Task<(int Accounts, int Mailboxes, long Messages, long Copied)> CopyMailboxesAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<string> accounts, CancellationToken cancellationToken)
    {
        var importer = await PostgresMailImporter.OpenAsync(dataSource, cancellationToken);
        using var maildir = new MaildirStore(config.MailDirectory);
        int withMail = 0, mailboxes = 0;
        long messages = 0, copied = 0;
        foreach (var address in accounts)
        {
            var account = EmailAddress.Parse(address);
            if (!System.IO.Directory.Exists(maildir.GetMaildirPath(account)))
            {
                continue;
            }

            withMail++;
            var folders = maildir.OpenAccount(account);
            foreach (var name in folders.List())
            {
                mailboxes++;
                var mailbox = folders.Get(name);
                var state = await mailbox.SnapshotAsync(cancellationToken);
                var id = await importer.MailboxAsync(account.Canonical, name, state.UidValidity, state.UidNext, cancellationToken);
                var there = await importer.MessagesAsync(id, cancellationToken);
                var hashes = new Dictionary<uint, string>();
                var batch = new List<MessageImport>();
                long batchBytes = 0;
                foreach (var entry in state.Messages)
                {
                    var stream = mailbox.OpenMessage(entry)
                        ?? throw new StorageMigrationException($"message UID {entry.Uid} of {name} of {account} vanished while migrating (stop the node first)");
                    var bytes = await ReadAllAsync(stream, cancellationToken);
                    hashes[entry.Uid] = Sha256(bytes);
                    if (there.ContainsKey(entry.Uid))
                    {
                        continue;
                    }

                    batch.Add(new MessageImport(entry.Uid, entry.Flags, entry.InternalDate, bytes));
                    batchBytes += bytes.Length;
                    if (batch.Count == BatchMessages || batchBytes >= BatchBytes)
                    {
                        copied += await importer.ImportAsync(id, batch, cancellationToken);
                        (batch, batchBytes) = ([], 0);
                    }
                }

                copied += await importer.ImportAsync(id, batch, cancellationToken);
                messages += state.Messages.Count;
                Verify(account, name, state, hashes, await importer.MessagesAsync(id, cancellationToken));
                _logger.LogInformation("Mailbox {Mailbox} of {Account}: {Messages} messages", name, account, state.Messages.Count);
            }
        }

        return (withMail, mailboxes, messages, copied);
    }

    // Every message of the source is in PostgreSQL with its UID, flags, INTERNALDATE and bytes, and nothing else is.
    private static void Verify(EmailAddress account, string name, MailboxState state, Dictionary<uint, string> hashes, IReadOnlyDictionary<uint, ImportedMessage> stored)
    {
        if (stored.Count != state.Messages.Count)
        {
            throw new StorageMigrationException($"mailbox {name} of {account}: {stored.Count} messages in PostgreSQL, {state.Messages.Count} in the Maildir");
        }

        foreach (var entry in state.Messages)
        {
            if (!stored.TryGetValue(entry.Uid, out var copy)
                || copy.Sha256 != hashes[entry.Uid]
                || copy.Flags != entry.Flags
                || copy.InternalDate.UtcTicks != entry.InternalDate.UtcTicks)
            {
                throw new StorageMigrationException($"mailbox {name} of {account}: message UID {entry.Uid} in PostgreSQL differs from the Maildir's (bytes, flags or date)");
            }
        }
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        await using (stream)
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static string Sha256(string text) => Sha256(System.Text.Encoding.UTF8.GetBytes(text));
}
