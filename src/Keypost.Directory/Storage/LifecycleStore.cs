using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Storage;

/// <summary>
/// The key-lifecycle tables of the directory database: WKS submission keys, pending WKS confirmation requests and
/// the expiry reminders already sent.
/// </summary>
public sealed class LifecycleStore(DirectoryDatabase database)
{
    /// <summary>The armored-or-binary secret key of a domain's submission address, if one was made.</summary>
    public async Task<byte[]?> FindSubmissionKeyAsync(string domain, string submissionAddress, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT secret_key FROM wks_keys WHERE domain = $1 AND submission_address = $2";
        command.Parameters.AddWithValue("$1", domain);
        command.Parameters.AddWithValue("$2", submissionAddress);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task SaveSubmissionKeyAsync(string domain, string submissionAddress, byte[] secretKey, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO wks_keys(domain, submission_address, secret_key, created_at) VALUES ($1, $2, $3, $4)";
        command.Parameters.AddWithValue("$1", domain);
        command.Parameters.AddWithValue("$2", submissionAddress);
        command.Parameters.AddWithValue("$3", secretKey);
        command.Parameters.AddWithValue("$4", Format(now));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task AddRequestAsync(WksPendingRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO wks_requests(nonce_hash, address, fingerprint, certificate, client, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """;
        command.Parameters.AddWithValue("$1", request.NonceHash);
        command.Parameters.AddWithValue("$2", request.Address);
        command.Parameters.AddWithValue("$3", request.Fingerprint);
        command.Parameters.AddWithValue("$4", request.Certificate);
        command.Parameters.AddWithValue("$5", request.Client);
        command.Parameters.AddWithValue("$6", Format(request.CreatedAt));
        command.Parameters.AddWithValue("$7", Format(request.ExpiresAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<WksPendingRequest?> FindRequestAsync(byte[] nonceHash, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT address, fingerprint, certificate, client, created_at, expires_at, used_at FROM wks_requests WHERE nonce_hash = $1";
        command.Parameters.AddWithValue("$1", nonceHash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new WksPendingRequest(
            nonceHash,
            reader.GetString(0),
            reader.GetString(1),
            (byte[])reader[2],
            reader.GetString(3),
            Parse(reader.GetString(4)),
            Parse(reader.GetString(5)),
            reader.IsDBNull(6) ? null : Parse(reader.GetString(6)));
    }

    /// <summary>Marks the nonce used; false when it already was (the one atomic step that makes a nonce single-use).</summary>
    public async Task<bool> ClaimRequestAsync(byte[] nonceHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE wks_requests SET used_at = $2 WHERE nonce_hash = $1 AND used_at IS NULL";
        command.Parameters.AddWithValue("$1", nonceHash);
        command.Parameters.AddWithValue("$2", Format(now));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Pending (unused, unexpired) requests for an address.</summary>
    public async Task<int> CountPendingAsync(string address, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM wks_requests WHERE address = $1 AND used_at IS NULL AND expires_at > $2";
        command.Parameters.AddWithValue("$1", address);
        command.Parameters.AddWithValue("$2", Format(now));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    /// <summary>Whether the reminder <paramref name="days"/> before expiry went out for this key.</summary>
    public async Task<bool> WasReminderSentAsync(string address, string fingerprint, int days, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM expiry_reminders WHERE address = $1 AND fingerprint = $2 AND days = $3";
        command.Parameters.AddWithValue("$1", address);
        command.Parameters.AddWithValue("$2", fingerprint);
        command.Parameters.AddWithValue("$3", days);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Records that the reminder <paramref name="days"/> before expiry went out; false when it already had.</summary>
    public async Task<bool> RecordReminderAsync(string address, string fingerprint, int days, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO expiry_reminders(address, fingerprint, days, sent_at) VALUES ($1, $2, $3, $4)";
        command.Parameters.AddWithValue("$1", address);
        command.Parameters.AddWithValue("$2", fingerprint);
        command.Parameters.AddWithValue("$3", days);
        command.Parameters.AddWithValue("$4", Format(now));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Takes back a reminder record (the mail could not be queued), so the next run tries again.</summary>
    public async Task ForgetReminderAsync(string address, string fingerprint, int days, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM expiry_reminders WHERE address = $1 AND fingerprint = $2 AND days = $3";
        command.Parameters.AddWithValue("$1", address);
        command.Parameters.AddWithValue("$2", fingerprint);
        command.Parameters.AddWithValue("$3", days);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
