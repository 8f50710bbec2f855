using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Keypost.Directory.Storage;

namespace Keypost.Directory.Migration;

/// <summary>
/// Copies the directory (accounts, published keys and their history, devices, WKS state and every domain's
/// transparency log) from one database to another, row for row with the same keys and ids, as
/// <c>keypost storage migrate</c> needs (docs/postgres.md). Resumable: rows already in the target (by primary key)
/// are left alone, so a second run, or one after a kill, inserts only what is missing. Verified: after copying, each
/// table's row count and an order-free SHA-256 over its rows must be the same on both sides.
/// </summary>
public static class DirectoryCopier
{
    /// <summary>Every table of the directory, parents before the tables whose foreign keys point at them.</summary>
    public static IReadOnlyList<string> Tables { get; } =
    [
        "domains", "accounts", "certificates", "devices", "kt_keys", "kt_epochs", "kt_bindings", "kt_cosigned",
        "kt_monitor", "wks_keys", "wks_requests", "expiry_reminders",
    ];

    // Rows per transaction: a killed run keeps what it committed, and a log of a million bindings is not one transaction.
    private const int BatchRows = 1000;

    public static async Task<IReadOnlyList<TableCopyResult>> CopyAsync(DirectoryDatabase source, DirectoryDatabase target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        var results = new List<TableCopyResult>();
        foreach (var table in Tables)
        {
            var columns = await ColumnsAsync(target, table, cancellationToken);
            var copied = await CopyTableAsync(source, target, table, columns, cancellationToken);
            if (table == "certificates" && target is PostgresDirectoryDatabase)
            {
                // Ids were copied as they were (OVERRIDING SYSTEM VALUE); the next publication must take a later one.
                await target.ExecuteAsync(
                    "SELECT setval(pg_get_serial_sequence('certificates', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM certificates), false)",
                    cancellationToken);
            }

            var (sourceRows, sourceDigest) = await DigestAsync(source, table, columns, cancellationToken);
            var (targetRows, targetDigest) = await DigestAsync(target, table, columns, cancellationToken);
            if (sourceRows != targetRows || sourceDigest != targetDigest)
            {
                throw new DirectoryException(
                    $"table {table}: {target.Description} holds {targetRows} rows that differ from the {sourceRows} of {source.Description} " +
                    "(was it used before the migration? migrate into an empty database)");
            }

            results.Add(new TableCopyResult(table, sourceRows, copied, sourceDigest));
        }

        return results;
    }

    // The target's columns, by name: the source is the same schema at its latest migration.
    private static async Task<IReadOnlyList<string>> ColumnsAsync(DirectoryDatabase database, string table, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = database.Command(connection, null, $"SELECT * FROM {table} LIMIT 0");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
    }

    private static async Task<long> CopyTableAsync(DirectoryDatabase source, DirectoryDatabase target, string table, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        var list = string.Join(", ", columns);
        var overriding = table == "certificates" && target is PostgresDirectoryDatabase ? " OVERRIDING SYSTEM VALUE" : "";
        var insert = $"INSERT INTO {table} ({list}){overriding} VALUES ({string.Join(", ", columns.Select((_, i) => "$" + (i + 1).ToString(CultureInfo.InvariantCulture)))}) ON CONFLICT DO NOTHING";
        await using var from = await source.ConnectAsync(cancellationToken);
        await using var select = source.Command(from, null, $"SELECT {list} FROM {table}");
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        await using var to = await target.ConnectAsync(cancellationToken);
        long copied = 0;
        var pending = 0;
        DbTransaction? transaction = null;
        try
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                transaction ??= await to.BeginTransactionAsync(cancellationToken);
                var values = new object?[columns.Count];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                copied += await target.ExecuteAsync(to, transaction, insert, cancellationToken, values);
                if (++pending == BatchRows)
                {
                    await transaction.CommitAsync(cancellationToken);
                    await transaction.DisposeAsync();
                    (transaction, pending) = (null, 0);
                }
            }

            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }
        }

        return copied;
    }

    /// <summary>
    /// The table's row count and a SHA-256 over its rows that does not depend on their order (each row hashed, the
    /// row hashes sorted and hashed again): the engines sort text differently, so no ORDER BY would match.
    /// </summary>
    private static async Task<(long Rows, string Sha256)> DigestAsync(DirectoryDatabase database, string table, IReadOnlyList<string> columns, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = database.Command(connection, null, $"SELECT {string.Join(", ", columns)} FROM {table}");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<byte[]>();
        var row = new StringBuilder();
        while (await reader.ReadAsync(cancellationToken))
        {
            row.Clear();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var value = Canonical(reader.IsDBNull(i) ? null : reader.GetValue(i));
                row.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
            }

            rows.Add(SHA256.HashData(Encoding.UTF8.GetBytes(row.ToString())));
        }

        rows.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var hash in rows)
        {
            all.AppendData(hash);
        }

        return (rows.Count, Convert.ToHexStringLower(all.GetHashAndReset()));
    }

    // One form per value whatever the engine returned: SQLite gives every integer as a long, PostgreSQL an int for an
    // integer column and a long for a bigint one.
    private static string Canonical(object? value) => value switch
    {
        null => "n",
        string text => "s" + text,
        byte[] bytes => "b" + Convert.ToHexStringLower(bytes),
        int or long or short or byte => "i" + Convert.ToInt64(value, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
        bool flag => "i" + (flag ? "1" : "0"),
        double or float or decimal => "d" + Convert.ToDouble(value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
        _ => throw new DirectoryException($"unexpected {value.GetType().Name} value in the directory"),
    };
}
