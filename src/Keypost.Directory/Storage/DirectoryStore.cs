using System.Data.Common;
using System.Globalization;
using Keypost.Core.Addresses;
using Keypost.Core.Wkd;
using Keypost.Directory.Lifecycle;

namespace Keypost.Directory.Storage;

/// <summary>
/// In charge of the directory's database: certificates, devices, WKS requests and lifecycle state. Domains, accounts and certificate history in the directory database.
/// </summary>
public sealed class DirectoryStore(DirectoryDatabase database, TimeProvider clock)
{
    private long _certificateGeneration;

    public DirectoryDatabase Database => database;

    /// <summary>
    /// Moves on after every change this process commits to the served certificates (publish, rotate, revoke,
    /// account removal): a cache of what WKD serves compares it with the value it read before its query.
    /// </summary>
    public long CertificateGeneration => Volatile.Read(ref _certificateGeneration);

    /// <summary>
    /// Tells this process's caches that served certificates changed behind the store's back (SQL by hand, another
    /// process). Another process or node is caught by the cache's lifetime instead.
    /// </summary>
    public void NoteCertificatesChanged() => Interlocked.Increment(ref _certificateGeneration);

    public Task EnsureDomainAsync(string domain, CancellationToken cancellationToken) =>
        database.ExecuteAsync("INSERT INTO domains(name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING", cancellationToken, domain, Now());

    public async Task<IReadOnlyList<string>> ListDomainsAsync(CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT name FROM domains ORDER BY name", r => r.GetString(0), cancellationToken);

    public async Task<bool> IsHostedDomainAsync(string domain, CancellationToken cancellationToken) =>
        await database.ScalarAsync("SELECT 1 FROM domains WHERE name = $1", cancellationToken, domain) is not null;

    /// <summary>Creates the account if it does not exist; the domain must be hosted.</summary>
    public async Task EnsureAccountAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await EnsureAccountAsync(connection, null, address, cancellationToken);
    }

    public async Task<bool> AccountExistsAsync(EmailAddress address, CancellationToken cancellationToken) =>
        await database.ScalarAsync("SELECT 1 FROM accounts WHERE address = $1", cancellationToken, address.Canonical) is not null;

    public async Task<IReadOnlyList<string>> ListAccountsAsync(CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT address FROM accounts ORDER BY domain, address", r => r.GetString(0), cancellationToken);

    public async Task<string?> GetPasswordHashAsync(EmailAddress address, CancellationToken cancellationToken) =>
        await database.ScalarAsync("SELECT password_hash FROM accounts WHERE address = $1", cancellationToken, address.Canonical) as string;

    public async Task SetPasswordHashAsync(EmailAddress address, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await EnsureAccountAsync(connection, transaction, address, cancellationToken);
        await database.ExecuteAsync(connection, transaction, "UPDATE accounts SET password_hash = $2 WHERE address = $1", cancellationToken, address.Canonical, passwordHash);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Whether mail arriving in the clear for <paramref name="address"/> is stored encrypted to its key (when the
    /// domain encrypts at rest and a key is published). True unless the user opted out; false for no account.
    /// </summary>
    public async Task<bool> GetEncryptAtRestAsync(EmailAddress address, CancellationToken cancellationToken) =>
        await database.ScalarAsync("SELECT encrypt_at_rest FROM accounts WHERE address = $1", cancellationToken, address.Canonical) is { } value
        && Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0;

    /// <summary>Sets the account's encryption-at-rest choice; false when there is no such account.</summary>
    public async Task<bool> SetEncryptAtRestAsync(EmailAddress address, bool encrypt, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("UPDATE accounts SET encrypt_at_rest = $2 WHERE address = $1", cancellationToken, address.Canonical, encrypt ? 1 : 0) > 0;

    /// <summary>Removes an account: its certificates stop being served but stay in the history.</summary>
    public async Task<bool> RemoveAccountAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await database.ExecuteAsync(connection, transaction, "UPDATE certificates SET state = 'withdrawn', ended_at = $2 WHERE address = $1 AND state = 'current'", cancellationToken, address.Canonical, Now());
        var removed = await database.ExecuteAsync(connection, transaction, "UPDATE accounts SET password_hash = NULL WHERE address = $1", cancellationToken, address.Canonical);
        // Its devices' key packages go with it (docs/lifecycle.md, "Several devices").
        await database.ExecuteAsync(connection, transaction, "UPDATE devices SET state = 'removed', package = NULL, updated_at = $2 WHERE address = $1 AND state != 'removed'", cancellationToken, address.Canonical, Now());
        await transaction.CommitAsync(cancellationToken);
        // After the commit: a reader that queried before it then holds a generation that is already stale.
        NoteCertificatesChanged();
        return removed > 0;
    }

    /// <summary>
    /// Makes <paramref name="data"/> the address's current certificate in one transaction: the previous
    /// current one becomes history.
    /// </summary>
    public Task<long> PublishAsync(EmailAddress address, string fingerprint, byte[] data, bool revoked, CancellationToken cancellationToken) =>
        PublishAsync(address, fingerprint, data, revoked, PublicationChannel.Operator, cancellationToken);

    /// <summary>
    /// As above, recording the <paramref name="channel"/> the certificate came through (the owner monitor's
    /// evidence of who made the change).
    /// </summary>
    public async Task<long> PublishAsync(EmailAddress address, string fingerprint, byte[] data, bool revoked, PublicationChannel channel, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The sequencer logs a domain's rows in id order and remembers the last id it logged: ids must become visible
        // in the order they are taken, and two publications for one address must not both leave a 'current' row.
        await database.SerializeAsync(connection, transaction, LockScope.Publications, address.Domain, cancellationToken);
        await EnsureAccountAsync(connection, transaction, address, cancellationToken);
        var now = Now();
        // Worked out here, where the certificate is at hand, so the expiry-reminder run need not parse it.
        var usableUntil = ExpiryReminderPlanner.UsableUntil(data, clock.GetUtcNow());
        await database.ExecuteAsync(connection, transaction, "UPDATE certificates SET state = 'replaced', ended_at = $2 WHERE address = $1 AND state = 'current'", cancellationToken, address.Canonical, now);
        var id = Convert.ToInt64(
            await database.ScalarAsync(
                connection,
                transaction,
                "INSERT INTO certificates(address, domain, wkd_hash, fingerprint, data, state, revoked, published_at, channel, expiry_known, usable_until) VALUES ($1, $2, $3, $4, $5, 'current', $6, $7, $8, 1, $9) RETURNING id",
                cancellationToken,
                address.Canonical,
                address.Domain,
                WkdHash.Compute(address),
                fingerprint,
                data,
                revoked ? 1 : 0,
                now,
                ChannelName(channel),
                usableUntil?.ToString("O", CultureInfo.InvariantCulture)),
            CultureInfo.InvariantCulture);
        await transaction.CommitAsync(cancellationToken);
        NoteCertificatesChanged();
        return id;
    }

    /// <summary>The stored name of a channel (<c>certificates.channel</c>).</summary>
    public static string ChannelName(PublicationChannel channel) => channel switch
    {
        PublicationChannel.Account => "account",
        PublicationChannel.Wks => "wks",
        _ => "operator",
    };

    /// <summary>The channel a stored name stands for; anything unknown is the operator's.</summary>
    public static PublicationChannel ParseChannel(string name) => name switch
    {
        "account" => PublicationChannel.Account,
        "wks" => PublicationChannel.Wks,
        _ => PublicationChannel.Operator,
    };

    /// <summary>The current certificate of an address, if any.</summary>
    public async Task<PublishedCertificate?> FindCurrentAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        var rows = await QueryAsync("WHERE address = $1 AND state = 'current'", cancellationToken, address.Canonical);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <summary>The certificates a WKD request for this domain and hash returns (more than one only on a hash collision).</summary>
    public async Task<IReadOnlyList<byte[]>> FindForWkdAsync(string domain, string wkdHash, CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT data FROM certificates WHERE domain = $1 AND wkd_hash = $2 AND state = 'current' ORDER BY id", r => (byte[])r[0], cancellationToken, domain, wkdHash);

    /// <summary>The addresses whose current certificate WKD serves under this domain and hash.</summary>
    public async Task<IReadOnlyList<string>> FindAddressesForWkdAsync(string domain, string wkdHash, CancellationToken cancellationToken) =>
        await database.QueryAsync("SELECT address FROM certificates WHERE domain = $1 AND wkd_hash = $2 AND state = 'current' ORDER BY id", r => r.GetString(0), cancellationToken, domain, wkdHash);

    /// <summary>Certificates currently served, optionally for one domain.</summary>
    public Task<IReadOnlyList<PublishedCertificate>> ListCurrentAsync(string? domain, CancellationToken cancellationToken) =>
        domain is null
            ? QueryAsync("WHERE state = 'current' ORDER BY domain, address", cancellationToken)
            : QueryAsync("WHERE state = 'current' AND domain = $1 ORDER BY address", cancellationToken, domain);

    /// <summary>
    /// Certificates currently served, optionally for one domain, read row by row without their key data: what
    /// <c>keypost directory list</c> prints, in memory that does not grow with the directory.
    /// </summary>
    public async IAsyncEnumerable<CertificateListing> StreamCurrentAsync(string? domain, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = database.Command(
            connection,
            null,
            "SELECT address, fingerprint, revoked, published_at FROM certificates WHERE state = 'current'"
                + (domain is null ? " ORDER BY domain, address" : " AND domain = $1 ORDER BY address"),
            domain is null ? [] : [domain]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new CertificateListing(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetInt64(2) != 0,
                DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Every certificate currently served with its key data, one row at a time (the expiry reminders read them all;
    /// a list would hold the whole directory in memory).
    /// </summary>
    public async IAsyncEnumerable<(string Address, string Fingerprint, bool Revoked, byte[] Data)> StreamCurrentDataAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = database.Command(connection, null, "SELECT address, fingerprint, revoked, data FROM certificates WHERE state = 'current' ORDER BY domain, address");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return (reader.GetString(0), reader.GetString(1), reader.GetInt64(2) != 0, (byte[])reader[3]);
        }
    }

    /// <summary>
    /// Every current certificate with when senders stop encrypting to it, as worked out at its publication
    /// (<see cref="ExpiryReminderPlanner.UsableUntil"/>); the certificate's bytes only for a row from before that
    /// was stored (<c>Known</c> false), for the caller to work it out (and <see cref="RecordUsableUntilAsync"/>).
    /// </summary>
    public async IAsyncEnumerable<CertificateExpiry> StreamCurrentExpiryAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = database.Command(
            connection,
            null,
            "SELECT id, address, fingerprint, revoked, expiry_known, usable_until, CASE WHEN expiry_known = 0 THEN data END FROM certificates WHERE state = 'current' ORDER BY domain, address");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new CertificateExpiry(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetInt64(3) != 0,
                reader.GetInt64(4) != 0,
                reader.IsDBNull(5) ? null : DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                reader.IsDBNull(6) ? null : (byte[])reader[6]);
        }
    }

    /// <summary>Stores a certificate row's end of use, worked out for a row published before it was stored.</summary>
    public Task RecordUsableUntilAsync(long id, DateTimeOffset? usableUntil, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            "UPDATE certificates SET expiry_known = 1, usable_until = $2 WHERE id = $1",
            cancellationToken,
            id,
            usableUntil?.ToString("O", CultureInfo.InvariantCulture));

    /// <summary>Every certificate ever published for the address, oldest first.</summary>
    public Task<IReadOnlyList<PublishedCertificate>> HistoryAsync(EmailAddress address, CancellationToken cancellationToken) =>
        QueryAsync("WHERE address = $1 ORDER BY id", cancellationToken, address.Canonical);

    private async Task<IReadOnlyList<PublishedCertificate>> QueryAsync(string where, CancellationToken cancellationToken, params object?[] args) =>
        await database.QueryAsync(
            "SELECT id, address, fingerprint, state, revoked, published_at, ended_at, data FROM certificates " + where,
            reader => new PublishedCertificate(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                Enum.Parse<CertificateState>(reader.GetString(3), ignoreCase: true),
                reader.GetInt64(4) != 0,
                DateTimeOffset.Parse(reader.GetString(5), CultureInfo.InvariantCulture),
                reader.IsDBNull(6) ? null : DateTimeOffset.Parse(reader.GetString(6), CultureInfo.InvariantCulture),
                (byte[])reader[7]),
            cancellationToken,
            args);

    private async Task EnsureAccountAsync(DbConnection connection, DbTransaction? transaction, EmailAddress address, CancellationToken cancellationToken)
    {
        if (await database.ScalarAsync(connection, transaction, "SELECT 1 FROM domains WHERE name = $1", cancellationToken, address.Domain) is null)
        {
            throw new DirectoryException($"{address.Domain} is not a domain this server hosts");
        }

        await database.ExecuteAsync(
            connection,
            transaction,
            "INSERT INTO accounts(address, local_part, domain, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            cancellationToken,
            address.Canonical,
            address.LocalPart,
            address.Domain,
            Now());
    }

    private string Now() => clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
}
