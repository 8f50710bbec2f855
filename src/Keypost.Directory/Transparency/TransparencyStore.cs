using System.Globalization;
using System.Security.Cryptography;
using Keypost.Directory.Storage;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;
using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Transparency;

/// <summary>The transparency tables of the directory database (migration 2).</summary>
internal sealed class TransparencyStore(DirectoryDatabase database, TimeProvider clock)
{
    /// <summary>
    /// The domain's log signing key, VRF suite and VRF secret key, generated on first use (new logs take
    /// <see cref="KtVrf.DefaultSuite"/> and history chains; a log keeps the suite and format it was made with).
    /// </summary>
    public async Task<(byte[] LogKey, VrfSuite Suite, byte[] VrfKey, bool History)> EnsureKeysAsync(string domain, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT OR IGNORE INTO kt_keys(domain, log_key, vrf_key, created_at, vrf_suite, history) VALUES ($1, $2, $3, $4, $5, 1)";
            insert.Parameters.AddWithValue("$1", domain);
            insert.Parameters.AddWithValue("$2", NoteSigner.GeneratePrivateKey());
            insert.Parameters.AddWithValue("$3", KtVrf.GenerateSecretKey(KtVrf.DefaultSuite));
            insert.Parameters.AddWithValue("$4", clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$5", (int)KtVrf.DefaultSuite);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        // The database now holds secret keys: owner-only, like the secret key files `keypost key generate` writes.
        foreach (var file in new[] { database.Path, database.Path + "-wal", database.Path + "-shm" }.Where(File.Exists))
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await using var read = connection.CreateCommand();
        read.CommandText = "SELECT log_key, vrf_suite, vrf_key, history FROM kt_keys WHERE domain = $1";
        read.Parameters.AddWithValue("$1", domain);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var suite = (VrfSuite)reader.GetInt32(1);
        if (!KtVrf.IsKnown(suite))
        {
            throw new InvalidOperationException($"the transparency log of {domain} has VRF suite {(int)suite}, which this Keypost does not know");
        }

        return ((byte[])reader[0], suite, (byte[])reader[2], reader.GetInt64(3) != 0);
    }

    /// <summary>Every stored epoch of the domain, oldest first, with the bindings it made current.</summary>
    public async Task<IReadOnlyList<(byte[] Entry, List<(long CertificateId, StagedBinding Binding)> Bindings)>> LoadEpochsAsync(string domain, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        var epochs = new List<(byte[], List<(long, StagedBinding)>)>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT entry FROM kt_epochs WHERE domain = $1 ORDER BY epoch";
            command.Parameters.AddWithValue("$1", domain);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                epochs.Add(((byte[])reader[0], []));
            }
        }

        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT epoch, address, version, certificate_id, fingerprint, certificate_hash, revoked, vrf_proof, map_key, opening, commitment, history
                FROM kt_bindings WHERE domain = $1 ORDER BY epoch, certificate_id
                """;
            command.Parameters.AddWithValue("$1", domain);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var epoch = reader.GetInt64(0);
                if (epoch >= epochs.Count)
                {
                    throw new InvalidOperationException($"a binding of {domain} names epoch {epoch}, which is not stored");
                }

                var binding = new Binding(reader.GetInt64(2), (byte[])reader[4], (byte[])reader[5], reader.GetInt64(6) != 0)
                {
                    History = reader.IsDBNull(11) ? null : (byte[])reader[11],
                };
                epochs[(int)epoch].Item2.Add((reader.GetInt64(3),
                    new StagedBinding(reader.GetString(1), binding, (byte[])reader[7], (byte[])reader[8], (byte[])reader[9], (byte[])reader[10])));
            }
        }

        return epochs;
    }

    /// <summary>Certificate rows of the domain not yet logged (id above <paramref name="afterId"/>), in id order.</summary>
    public async Task<IReadOnlyList<PublishedCertificate>> NewCertificatesAsync(string domain, long afterId, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, address, fingerprint, revoked, data FROM certificates WHERE domain = $1 AND id > $2 ORDER BY id";
        command.Parameters.AddWithValue("$1", domain);
        command.Parameters.AddWithValue("$2", afterId);
        var rows = new List<PublishedCertificate>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new PublishedCertificate(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), CertificateState.Current,
                reader.GetInt64(3) != 0, default, null, (byte[])reader[4]));
        }

        return rows;
    }

    /// <summary>Stores one sealed epoch and its bindings in one transaction.</summary>
    public async Task SaveEpochAsync(string domain, SealedEpoch epoch, IReadOnlyDictionary<string, long> certificateIds, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO kt_epochs(domain, epoch, entry) VALUES ($1, $2, $3)";
            command.Parameters.AddWithValue("$1", domain);
            command.Parameters.AddWithValue("$2", epoch.Entry.Epoch);
            command.Parameters.AddWithValue("$3", epoch.EncodedEntry);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                INSERT INTO kt_bindings(domain, address, version, epoch, certificate_id, fingerprint, certificate_hash, revoked, vrf_proof, map_key, opening, commitment, history)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                """;
            var parameters = Enumerable.Range(1, 13).Select(i => command.Parameters.Add("$" + i, SqliteType.Blob)).ToArray();
            foreach (var staged in epoch.Bindings)
            {
                object[] values =
                [
                    domain, staged.Address, staged.Binding.Version, epoch.Entry.Epoch, certificateIds[staged.Address],
                    staged.Binding.Fingerprint, staged.Binding.CertificateHash, staged.Binding.Revoked ? 1 : 0,
                    staged.VrfProof, staged.MapKey, staged.Opening, staged.Commitment, (object?)staged.Binding.History ?? DBNull.Value,
                ];
                for (var i = 0; i < values.Length; i++)
                {
                    parameters[i].Value = values[i];
                    parameters[i].SqliteType = values[i] switch
                    {
                        string => SqliteType.Text,
                        int or long => SqliteType.Integer,
                        DBNull => SqliteType.Blob,
                        _ => SqliteType.Blob,
                    };
                }

                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The logged versions of <paramref name="address"/> above <paramref name="afterVersion"/> (at most
    /// <paramref name="limit"/>), as the history chain records them: version n is the address's n-th certificate row
    /// (as the sequencer counts), its epoch the one whose batch logged it, its hash SHA-256 of the bytes WKD served.
    /// Rows not yet logged end the list.
    /// </summary>
    public async Task<IReadOnlyList<HistoryRecord>> HistoryAsync(string domain, string address, long afterVersion, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT c.fingerprint, c.revoked, c.data,
                   (SELECT MIN(b.epoch) FROM kt_bindings b WHERE b.domain = c.domain AND b.address = c.address AND b.certificate_id >= c.id)
            FROM certificates c WHERE c.domain = $1 AND c.address = $2 ORDER BY c.id LIMIT $3 OFFSET $4
            """;
        command.Parameters.AddWithValue("$1", domain);
        command.Parameters.AddWithValue("$2", address);
        command.Parameters.AddWithValue("$3", limit);
        command.Parameters.AddWithValue("$4", afterVersion);
        var records = new List<HistoryRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var version = afterVersion;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.IsDBNull(3))
            {
                break;
            }

            records.Add(new HistoryRecord(++version, reader.GetInt64(3), Convert.FromHexString(reader.GetString(0)), SHA256.HashData((byte[])reader[2]), reader.GetInt64(1) != 0));
        }

        return records;
    }

    /// <summary>Keeps the newest cosigned checkpoint note of the domain (one row per domain, never a smaller size).</summary>
    public async Task SaveCosignedAsync(string domain, long size, string note, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO kt_cosigned(domain, size, note) VALUES ($1, $2, $3)
            ON CONFLICT(domain) DO UPDATE SET size = excluded.size, note = excluded.note WHERE excluded.size >= kt_cosigned.size
            """;
        command.Parameters.AddWithValue("$1", domain);
        command.Parameters.AddWithValue("$2", size);
        command.Parameters.AddWithValue("$3", note);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The newest cosigned checkpoint note kept for the domain, or null.</summary>
    public async Task<(long Size, string Note)?> LoadCosignedAsync(string domain, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT size, note FROM kt_cosigned WHERE domain = $1";
        command.Parameters.AddWithValue("$1", domain);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }
}
