using System.Globalization;

namespace Keypost.Directory.Storage;

/// <summary>
/// The key-lifecycle tables of the directory database: WKS submission keys, pending WKS confirmation requests and
/// the expiry reminders already sent.
/// </summary>
public sealed class LifecycleStore(DirectoryDatabase database)
{
    /// <summary>The armored-or-binary secret key of a domain's submission address, if one was made.</summary>
    public async Task<byte[]?> FindSubmissionKeyAsync(string domain, string submissionAddress, CancellationToken cancellationToken) =>
        await database.ScalarAsync("SELECT secret_key FROM wks_keys WHERE domain = $1 AND submission_address = $2", cancellationToken, domain, submissionAddress) as byte[];

    /// <summary>
    /// Keeps the key of a domain's submission address: it replaces the key of another (older) submission address, but
    /// a key already stored for this address stays (another node made it first).
    /// </summary>
    public Task SaveSubmissionKeyAsync(string domain, string submissionAddress, byte[] secretKey, DateTimeOffset now, CancellationToken cancellationToken) =>
        database.ExecuteAsync(
            """
            INSERT INTO wks_keys(domain, submission_address, secret_key, created_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT(domain) DO UPDATE SET submission_address = excluded.submission_address, secret_key = excluded.secret_key, created_at = excluded.created_at
            WHERE wks_keys.submission_address <> excluded.submission_address
            """,
            cancellationToken,
            domain,
            submissionAddress,
            secretKey,
            Format(now));

    public Task AddRequestAsync(WksPendingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return database.ExecuteAsync(
            """
            INSERT INTO wks_requests(nonce_hash, address, fingerprint, certificate, client, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            cancellationToken,
            request.NonceHash,
            request.Address,
            request.Fingerprint,
            request.Certificate,
            request.Client,
            Format(request.CreatedAt),
            Format(request.ExpiresAt));
    }

    public async Task<WksPendingRequest?> FindRequestAsync(byte[] nonceHash, CancellationToken cancellationToken)
    {
        var rows = await database.QueryAsync(
            "SELECT address, fingerprint, certificate, client, created_at, expires_at, used_at FROM wks_requests WHERE nonce_hash = $1",
            reader => new WksPendingRequest(
                nonceHash,
                reader.GetString(0),
                reader.GetString(1),
                (byte[])reader[2],
                reader.GetString(3),
                Parse(reader.GetString(4)),
                Parse(reader.GetString(5)),
                reader.IsDBNull(6) ? null : Parse(reader.GetString(6))),
            cancellationToken,
            nonceHash);
        return rows.Count > 0 ? rows[0] : null;
    }

    /// <summary>Marks the nonce used; false when it already was (the one atomic step that makes a nonce single-use).</summary>
    public async Task<bool> ClaimRequestAsync(byte[] nonceHash, DateTimeOffset now, CancellationToken cancellationToken) =>
        await database.ExecuteAsync("UPDATE wks_requests SET used_at = $2 WHERE nonce_hash = $1 AND used_at IS NULL", cancellationToken, nonceHash, Format(now)) == 1;

    /// <summary>Pending (unused, unexpired) requests for an address.</summary>
    public async Task<int> CountPendingAsync(string address, DateTimeOffset now, CancellationToken cancellationToken) =>
        Convert.ToInt32(
            await database.ScalarAsync("SELECT COUNT(*) FROM wks_requests WHERE address = $1 AND used_at IS NULL AND expires_at > $2", cancellationToken, address, Format(now)),
            CultureInfo.InvariantCulture);

    /// <summary>Whether the reminder <paramref name="days"/> before expiry went out for this key.</summary>
    public async Task<bool> WasReminderSentAsync(string address, string fingerprint, int days, CancellationToken cancellationToken) =>
        await database.ScalarAsync("SELECT 1 FROM expiry_reminders WHERE address = $1 AND fingerprint = $2 AND days = $3", cancellationToken, address, fingerprint, days) is not null;

    /// <summary>
    /// Records that the reminder <paramref name="days"/> before expiry went out; false when it already had (on several
    /// nodes, the one whose row goes in sends the reminder).
    /// </summary>
    public async Task<bool> RecordReminderAsync(string address, string fingerprint, int days, DateTimeOffset now, CancellationToken cancellationToken) =>
        await database.ExecuteAsync(
            "INSERT INTO expiry_reminders(address, fingerprint, days, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            cancellationToken,
            address,
            fingerprint,
            days,
            Format(now)) == 1;

    /// <summary>Takes back a reminder record (the mail could not be queued), so the next run tries again.</summary>
    public Task ForgetReminderAsync(string address, string fingerprint, int days, CancellationToken cancellationToken) =>
        database.ExecuteAsync("DELETE FROM expiry_reminders WHERE address = $1 AND fingerprint = $2 AND days = $3", cancellationToken, address, fingerprint, days);

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
