using System.Data.Common;
using System.Globalization;

namespace Keypost.Directory.Storage;

/// <summary>The devices table of the directory database: every query is scoped to one account's address.</summary>
public sealed class DeviceStore(DirectoryDatabase database)
{
    /// <summary>Most devices one account may have on file (pending and approved), so a password holder cannot flood the table.</summary>
    public const int MaxDevicesPerAccount = 20;

    private const string Select = "SELECT id, address, name, fingerprint, certificate, state, package, package_version, created_at, updated_at FROM devices";

    /// <summary>Files a device request; false when the account already has <see cref="MaxDevicesPerAccount"/> live devices.</summary>
    public async Task<bool> AddAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Requests for one account take turns (on every node), so two at once cannot both pass the count.
        await database.SerializeAsync(connection, transaction, LockScope.Devices, device.Address, cancellationToken);
        var added = await database.ExecuteAsync(
            connection,
            transaction,
            """
            INSERT INTO devices(id, address, name, fingerprint, certificate, state, created_at, updated_at)
            SELECT $1, $2, $3, $4, $5, 'pending', $6, $6
            WHERE (SELECT COUNT(*) FROM devices WHERE address = $2 AND state != 'removed') < $7
            """,
            cancellationToken,
            device.Id,
            device.Address,
            device.Name,
            device.Fingerprint,
            device.Certificate,
            Format(device.CreatedAt),
            MaxDevicesPerAccount);
        await transaction.CommitAsync(cancellationToken);
        return added == 1;
    }

    /// <summary>The device <paramref name="id"/> of <paramref name="address"/>; null for an unknown id or another account's.</summary>
    public async Task<DeviceRecord?> FindAsync(string address, string id, CancellationToken cancellationToken)
    {
        var rows = await database.QueryAsync(Select + " WHERE address = $1 AND id = $2", Read, cancellationToken, address, id);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async Task<IReadOnlyList<DeviceRecord>> ListAsync(string address, CancellationToken cancellationToken) =>
        await database.QueryAsync(Select + " WHERE address = $1 ORDER BY created_at, id", Read, cancellationToken, address);

    /// <summary>Leaves a key package for a device not removed; returns its new version, or null when it is removed or unknown.</summary>
    public async Task<int?> SetPackageAsync(string address, string id, byte[] package, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var version = await database.ScalarAsync(
            """
            UPDATE devices SET state = 'approved', package = $3, package_version = package_version + 1, updated_at = $4
            WHERE address = $1 AND id = $2 AND state != 'removed'
            RETURNING package_version
            """,
            cancellationToken,
            address,
            id,
            package,
            Format(now));
        return version is null ? null : Convert.ToInt32(version, CultureInfo.InvariantCulture);
    }

    /// <summary>Marks a device removed and deletes its package; false when unknown for this account or already removed.</summary>
    public async Task<bool> RemoveAsync(string address, string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await database.ExecuteAsync(
            "UPDATE devices SET state = 'removed', package = NULL, updated_at = $3 WHERE address = $1 AND id = $2 AND state != 'removed'",
            cancellationToken,
            address,
            id,
            Format(now)) == 1;

    private static DeviceRecord Read(DbDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        (byte[])reader[4],
        Enum.Parse<DeviceState>(reader.GetString(5), ignoreCase: true),
        reader.IsDBNull(6) ? null : (byte[])reader[6],
        reader.GetInt32(7),
        Parse(reader.GetString(8)),
        Parse(reader.GetString(9)));

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string value) => DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
