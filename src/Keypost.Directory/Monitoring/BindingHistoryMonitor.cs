using System.Globalization;
using Keypost.Directory.Storage;
using System.Data.Common;

namespace Keypost.Directory.Monitoring;

/// <summary>
/// In charge of checking an address's history in the log against the rules of who may change it.
/// The server's side of owner monitoring (KEYTRANS: monitoring): walks every logged version of each hosted
/// address's binding since the last run and judges each with the <see cref="IOwnChangeRule"/>s. A version no rule
/// claims ("a change the owner did not make") becomes an alert; the caller mails the owner and then commits, so an
/// alert is sent once, and a crash between the two sends it again rather than never.
/// This guards against a change made behind the owner's back (a rogue administrator, a stolen admin credential, a
/// write to the database): it trusts this server's own records. Against an operator who also silences this
/// monitor, the owner's own `keypost monitor` checks the log's proofs with the key he holds.
/// </summary>
public sealed class BindingHistoryMonitor(DirectoryDatabase database, IReadOnlyList<IOwnChangeRule> rules, TimeProvider clock)
{
    /// <summary>
    /// The rules of this version: the enrollment (first use), the owner's own keys, a rotation certified by one of
    /// them, and the owner's own channels (the authenticated publish endpoint, a WKS confirmation).
    /// </summary>
    public static IReadOnlyList<IOwnChangeRule> DefaultRules { get; } =
        [new EnrollmentRule(), new KnownKeyRule(), new TransitionSignatureRule(), new AccountChannelRule(), new WksConfirmationRule()];

    /// <summary>
    /// The right to run (check, mail, commit) across nodes sharing one database, until disposed; null while another
    /// node runs, whose run mails what this one would have.
    /// </summary>
    public Task<IAsyncDisposable?> TryTakeTurnAsync(CancellationToken cancellationToken) =>
        database.TryLockAsync(LockScope.OwnerMonitor, string.Empty, cancellationToken);

    /// <summary>Every address with logged versions not yet judged, with what the rules found; nothing is stored.</summary>
    public async Task<IReadOnlyList<HistoryCheck>> CheckAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        var pending = new List<(string Address, long Logged, long Judged, string OwnKeys)>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT b.address, MAX(b.version), COALESCE(m.version, 0), COALESCE(m.own_keys, '')
                FROM kt_bindings b LEFT JOIN kt_monitor m ON m.address = b.address
                GROUP BY b.address, m.version, m.own_keys HAVING MAX(b.version) > COALESCE(m.version, 0)
                ORDER BY b.address
                """;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                pending.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3)));
            }
        }

        var checks = new List<HistoryCheck>(pending.Count);
        foreach (var (address, logged, judged, ownKeys) in pending)
        {
            var owner = new OwnerKeys(address, judged, ownKeys.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            await LoadOwnerCertificatesAsync(connection, owner, cancellationToken);
            var alerts = new List<BindingAlert>();
            foreach (var version in await VersionsAsync(connection, address, judged, logged, cancellationToken))
            {
                if (rules.Select(r => r.Explain(version, owner)).FirstOrDefault(r => r is not null) is not null)
                {
                    owner.Fingerprints.Add(version.Fingerprint);
                    owner.Certificates[version.Fingerprint] = version.Certificate;
                }
                else
                {
                    alerts.Add(new BindingAlert(address, version.Version, version.Epoch, version.Fingerprint, version.Revoked, version.PublishedAt));
                }

                owner.Version = version.Version;
            }

            checks.Add(new HistoryCheck(owner, alerts));
        }

        return checks;
    }

    /// <summary>Keeps the owner's state after his alerts (if any) were handed to the mail queue.</summary>
    public async Task CommitAsync(HistoryCheck check, CancellationToken cancellationToken)
    {
        await database.ExecuteAsync(
            """
            INSERT INTO kt_monitor(address, version, own_keys, checked_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT(address) DO UPDATE SET version = excluded.version, own_keys = excluded.own_keys, checked_at = excluded.checked_at
            WHERE excluded.version > kt_monitor.version
            """,
            cancellationToken,
            check.Owner.Address,
            check.Owner.Version,
            string.Join(' ', check.Owner.Fingerprints.Order(StringComparer.Ordinal)),
            clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
    }

    /// <summary>The newest stored certificate of each key the owner made (for the rules that check his signatures).</summary>
    private async Task LoadOwnerCertificatesAsync(DbConnection connection, OwnerKeys owner, CancellationToken cancellationToken)
    {
        if (owner.Fingerprints.Count == 0)
        {
            return;
        }

        await using var command = database.Command(connection, null, "SELECT fingerprint, data FROM certificates WHERE address = $1 ORDER BY id", owner.Address);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var fingerprint = reader.GetString(0);
            if (owner.Fingerprints.Contains(fingerprint))
            {
                owner.Certificates[fingerprint] = (byte[])reader[1];
            }
        }
    }

    /// <summary>
    /// Versions above <paramref name="after"/> up to <paramref name="upTo"/>. Version n is the address's n-th
    /// certificate row, as the sequencer counts; its epoch is the first epoch that logged it or a later row of the
    /// same address (two versions sealed in one epoch share it).
    /// </summary>
    private async Task<IReadOnlyList<BindingVersion>> VersionsAsync(DbConnection connection, string address, long after, long upTo, CancellationToken cancellationToken)
    {
        await using var command = database.Command(connection, null, """
            SELECT c.id, c.fingerprint, c.revoked, c.data, c.published_at, c.channel,
                   (SELECT MIN(b.epoch) FROM kt_bindings b WHERE b.domain = c.domain AND b.address = c.address AND b.certificate_id >= c.id) AS epoch
            FROM certificates c WHERE c.address = $1 ORDER BY c.id LIMIT $2 OFFSET $3
            """, address, upTo - after, after);
        var versions = new List<BindingVersion>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var number = after;
        while (await reader.ReadAsync(cancellationToken))
        {
            number++;
            if (reader.IsDBNull(6))
            {
                break;
            }

            versions.Add(new BindingVersion(address, number, reader.GetInt64(6), reader.GetInt64(0), reader.GetString(1),
                reader.GetInt64(2) != 0, (byte[])reader[3], reader.GetString(4), DirectoryStore.ParseChannel(reader.GetString(5))));
        }

        return versions;
    }
}
