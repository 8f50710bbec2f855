using Keypost.Data.Postgres;
using MimeKit.Cryptography;
using Npgsql;

namespace Keypost.Mail.Dkim;

/// <summary>
/// DKIM keys in the PostgreSQL database several nodes share (docs/postgres.md), so that every node signs with the
/// one key published in DNS. A key is generated once: every node inserts its candidate with ON CONFLICT DO NOTHING
/// and then reads back the row that won.
/// </summary>
internal sealed class PostgresDkimKeys(NpgsqlDataSource dataSource)
{
    private const string Part = "dkim";

    private static readonly IReadOnlyList<string> Steps =
    [
        """
        CREATE TABLE dkim_keys (
            domain      text NOT NULL,
            selector    text NOT NULL,
            algorithm   text NOT NULL CHECK (algorithm IN ('ed25519', 'rsa')),
            private_key text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (domain, selector));
        """,
    ];

    public static async Task<PostgresDkimKeys> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await PostgresMigrations.ApplyAsync(dataSource, Part, Steps, cancellationToken).ConfigureAwait(false);
        return new PostgresDkimKeys(dataSource);
    }

    /// <summary>
    /// The stored key of (domain, selector); when there is none, stores one made by <paramref name="generate"/> unless
    /// another node stored one meanwhile, and returns whichever is stored.
    /// </summary>
    public async Task<string> GetOrAddAsync(string domain, string selector, DkimSignatureAlgorithm algorithm, Func<string> generate, CancellationToken cancellationToken)
    {
        if (await ReadAsync(domain, selector, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            return stored;
        }

        await InsertAsync(new DkimStoredKey(domain, selector, algorithm, generate()), cancellationToken).ConfigureAwait(false);
        return await ReadAsync(domain, selector, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"the DKIM key {selector} of {domain} vanished from PostgreSQL");
    }

    private async Task<string?> ReadAsync(string domain, string selector, CancellationToken cancellationToken)
    {
        await using var read = dataSource.CreateCommand("SELECT private_key FROM dkim_keys WHERE domain = $1 AND selector = $2");
        read.Parameters.Add(new NpgsqlParameter { Value = domain });
        read.Parameters.Add(new NpgsqlParameter { Value = selector });
        return await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>Stores the key unless (domain, selector) has one; true when this call stored it.</summary>
    public async Task<bool> InsertAsync(DkimStoredKey key, CancellationToken cancellationToken)
    {
        await using var insert = dataSource.CreateCommand(
            "INSERT INTO dkim_keys (domain, selector, algorithm, private_key) VALUES ($1, $2, $3, $4) ON CONFLICT (domain, selector) DO NOTHING");
        insert.Parameters.Add(new NpgsqlParameter { Value = key.Domain });
        insert.Parameters.Add(new NpgsqlParameter { Value = key.Selector });
        insert.Parameters.Add(new NpgsqlParameter { Value = Name(key.Algorithm) });
        insert.Parameters.Add(new NpgsqlParameter { Value = key.Pem });
        return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyList<DkimStoredKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT domain, selector, algorithm, private_key FROM dkim_keys ORDER BY domain, selector");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<DkimStoredKey>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            keys.Add(new DkimStoredKey(reader.GetString(0), reader.GetString(1), Parse(reader.GetString(2)), reader.GetString(3)));
        }

        return keys;
    }

    private static string Name(DkimSignatureAlgorithm algorithm) => algorithm == DkimSignatureAlgorithm.Ed25519Sha256 ? "ed25519" : "rsa";

    private static DkimSignatureAlgorithm Parse(string name) => name == "ed25519" ? DkimSignatureAlgorithm.Ed25519Sha256 : DkimSignatureAlgorithm.RsaSha256;
}
