using System.Globalization;
using System.Security.Cryptography;
using Keypost.Directory.Storage;
using Keypost.Transparency.Lookup;
using Keypost.Transparency.Map;
using Keypost.Transparency.Notes;
using Keypost.Transparency.Vrf;

namespace Keypost.Directory.Transparency;

/// <summary>The transparency tables of the directory database (migration 2).</summary>
internal sealed class TransparencyStore(DirectoryDatabase database, TimeProvider clock)
{
    /// <summary>
    /// The domain's log signing key, VRF suite and VRF secret key, generated on first use (new logs take
    /// <see cref="KtVrf.DefaultSuite"/> and history chains; a log keeps the suite and format it was made with). Nodes
    /// starting together each offer keys; the first row stays and every node reads that one.
    /// </summary>
    public async Task<(byte[] LogKey, VrfSuite Suite, byte[] VrfKey, bool History)> EnsureKeysAsync(string domain, CancellationToken cancellationToken)
    {
        await database.ExecuteAsync(
            "INSERT INTO kt_keys(domain, log_key, vrf_key, created_at, vrf_suite, history) VALUES ($1, $2, $3, $4, $5, 1) ON CONFLICT DO NOTHING",
            cancellationToken,
            domain,
            NoteSigner.GeneratePrivateKey(),
            KtVrf.GenerateSecretKey(KtVrf.DefaultSuite),
            clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            (int)KtVrf.DefaultSuite);

        // The database now holds secret keys.
        database.ProtectSecrets();

        var rows = await database.QueryAsync(
            "SELECT log_key, vrf_suite, vrf_key, history FROM kt_keys WHERE domain = $1",
            reader => ((byte[])reader[0], (VrfSuite)reader.GetInt32(1), (byte[])reader[2], reader.GetInt64(3) != 0),
            cancellationToken,
            domain);
        var (logKey, suite, vrfKey, history) = rows[0];
        if (!KtVrf.IsKnown(suite))
        {
            throw new InvalidOperationException($"the transparency log of {domain} has VRF suite {(int)suite}, which this Keypost does not know");
        }

        return (logKey, suite, vrfKey, history);
    }

    /// <summary>
    /// The stored epochs of the domain from <paramref name="fromEpoch"/> on, oldest first, with the bindings each made
    /// current. Epochs another node stores meanwhile are left for the next call.
    /// </summary>
    public async Task<IReadOnlyList<(byte[] Entry, List<(long CertificateId, StagedBinding Binding)> Bindings)>> LoadEpochsAsync(string domain, long fromEpoch, CancellationToken cancellationToken)
    {
        var epochs = await database.QueryAsync(
            "SELECT epoch, entry FROM kt_epochs WHERE domain = $1 AND epoch >= $2 ORDER BY epoch",
            reader => (Epoch: reader.GetInt64(0), Entry: (byte[])reader[1], Bindings: new List<(long, StagedBinding)>()),
            cancellationToken,
            domain,
            fromEpoch);
        for (var i = 0; i < epochs.Count; i++)
        {
            if (epochs[i].Epoch != fromEpoch + i)
            {
                throw new InvalidOperationException($"the transparency log of {domain} misses epoch {fromEpoch + i}");
            }
        }

        if (epochs.Count == 0)
        {
            return [];
        }

        // Bounded by the epochs read above: a binding of an epoch stored after that read waits for the next call.
        var bindings = await database.QueryAsync(
            """
            SELECT epoch, address, version, certificate_id, fingerprint, certificate_hash, revoked, vrf_proof, map_key, opening, commitment, history
            FROM kt_bindings WHERE domain = $1 AND epoch >= $2 AND epoch < $3 ORDER BY epoch, certificate_id
            """,
            reader => (Epoch: reader.GetInt64(0), CertificateId: reader.GetInt64(3), Staged: new StagedBinding(
                reader.GetString(1),
                new Binding(reader.GetInt64(2), (byte[])reader[4], (byte[])reader[5], reader.GetInt64(6) != 0)
                {
                    History = reader.IsDBNull(11) ? null : (byte[])reader[11],
                },
                (byte[])reader[7],
                (byte[])reader[8],
                (byte[])reader[9],
                (byte[])reader[10])),
            cancellationToken,
            domain,
            fromEpoch,
            fromEpoch + epochs.Count);
        foreach (var (epoch, certificateId, staged) in bindings)
        {
            epochs[(int)(epoch - fromEpoch)].Bindings.Add((certificateId, staged));
        }

        return epochs.Select(e => (e.Entry, e.Bindings)).ToList();
    }

    /// <summary>Certificate rows of the domain not yet logged (id above <paramref name="afterId"/>), in id order.</summary>
    public async Task<IReadOnlyList<PublishedCertificate>> NewCertificatesAsync(string domain, long afterId, CancellationToken cancellationToken) =>
        await database.QueryAsync(
            "SELECT id, address, fingerprint, revoked, data FROM certificates WHERE domain = $1 AND id > $2 ORDER BY id",
            reader => new PublishedCertificate(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), CertificateState.Current, reader.GetInt64(3) != 0, default, null, (byte[])reader[4]),
            cancellationToken,
            domain,
            afterId);

    /// <summary>The right to append to the domain's log (across nodes on PostgreSQL), or null while another node holds it.</summary>
    public Task<IAsyncDisposable?> TryLockSequencerAsync(string domain, CancellationToken cancellationToken) =>
        database.TryLockAsync(LockScope.Sequencer, domain, cancellationToken);

    /// <summary>Stores one sealed epoch and its bindings in one transaction.</summary>
    public async Task SaveEpochAsync(string domain, SealedEpoch epoch, IReadOnlyDictionary<string, long> certificateIds, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The primary key (domain, epoch) refuses a second epoch of the same number: a log never forks in storage.
        await database.ExecuteAsync(connection, transaction, "INSERT INTO kt_epochs(domain, epoch, entry) VALUES ($1, $2, $3)", cancellationToken, domain, epoch.Entry.Epoch, epoch.EncodedEntry);
        await using (var command = database.Command(
            connection,
            transaction,
            """
            INSERT INTO kt_bindings(domain, address, version, epoch, certificate_id, fingerprint, certificate_hash, revoked, vrf_proof, map_key, opening, commitment, history)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """,
            new object?[13]))
        {
            foreach (var staged in epoch.Bindings)
            {
                object?[] values =
                [
                    domain, staged.Address, staged.Binding.Version, epoch.Entry.Epoch, certificateIds[staged.Address],
                    staged.Binding.Fingerprint, staged.Binding.CertificateHash, staged.Binding.Revoked ? 1 : 0,
                    staged.VrfProof, staged.MapKey, staged.Opening, staged.Commitment, staged.Binding.History,
                ];
                for (var i = 0; i < values.Length; i++)
                {
                    command.Parameters[i].Value = values[i] ?? DBNull.Value;
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
        var rows = await database.QueryAsync(
            """
            SELECT c.fingerprint, c.revoked, c.data,
                   (SELECT MIN(b.epoch) FROM kt_bindings b WHERE b.domain = c.domain AND b.address = c.address AND b.certificate_id >= c.id)
            FROM certificates c WHERE c.domain = $1 AND c.address = $2 ORDER BY c.id LIMIT $3 OFFSET $4
            """,
            reader => (Fingerprint: reader.GetString(0), Revoked: reader.GetInt64(1) != 0, Data: (byte[])reader[2], Epoch: reader.IsDBNull(3) ? (long?)null : reader.GetInt64(3)),
            cancellationToken,
            domain,
            address,
            limit,
            afterVersion);
        var records = new List<HistoryRecord>();
        var version = afterVersion;
        foreach (var row in rows.TakeWhile(r => r.Epoch is not null))
        {
            records.Add(new HistoryRecord(++version, row.Epoch!.Value, Convert.FromHexString(row.Fingerprint), SHA256.HashData(row.Data), row.Revoked));
        }

        return records;
    }

    /// <summary>Keeps the newest cosigned checkpoint note of the domain (one row per domain, never a smaller size).</summary>
    public Task SaveCosignedAsync(string domain, long size, string note, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            """
            INSERT INTO kt_cosigned(domain, size, note) VALUES ($1, $2, $3)
            ON CONFLICT(domain) DO UPDATE SET size = excluded.size, note = excluded.note WHERE excluded.size >= kt_cosigned.size
            """,
            cancellationToken,
            domain,
            size,
            note);

    /// <summary>The newest cosigned checkpoint note kept for the domain, or null.</summary>
    public async Task<(long Size, string Note)?> LoadCosignedAsync(string domain, CancellationToken cancellationToken)
    {
        var rows = await database.QueryAsync("SELECT size, note FROM kt_cosigned WHERE domain = $1", reader => (reader.GetInt64(0), reader.GetString(1)), cancellationToken, domain);
        return rows.Count > 0 ? rows[0] : null;
    }
}
