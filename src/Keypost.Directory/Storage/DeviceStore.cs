using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Storage;

/// <summary>The devices table of the directory database: every query is scoped to one account's address.</summary>
public sealed class DeviceStore(DirectoryDatabase database)
{
    /// <summary>Most devices one account may have on file (pending and approved), so a password holder cannot flood the table.</summary>
    public const int MaxDevicesPerAccount = 20;

    /// <summary>Files a device request; false when the account already has <see cref="MaxDevicesPerAccount"/> live devices.</summary>
    public async Task<bool> AddAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // One statement, so two concurrent requests cannot both pass the count.
        command.CommandText = """
            INSERT INTO devices(id, address, name, fingerprint, certificate, state, created_at, updated_at)
            SELECT $1, $2, $3, $4, $5, 'pending', $6, $6
            WHERE (SELECT COUNT(*) FROM devices WHERE address = $2 AND state != 'removed') < $7
            """;
        command.Parameters.AddWithValue("$1", device.Id);
        command.Parameters.AddWithValue("$2", device.Address);
        command.Parameters.AddWithValue("$3", device.Name);
        command.Parameters.AddWithValue("$4", device.Fingerprint);
        command.Parameters.AddWithValue("$5", device.Certificate);
        command.Parameters.AddWithValue("$6", Format(device.CreatedAt));
        command.Parameters.AddWithValue("$7", MaxDevicesPerAccount);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The device <paramref name="id"/> of <paramref name="address"/>; null for an unknown id or another account's.</summary>
    public async Task<DeviceRecord?> FindAsync(string address, string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Select + " WHERE address = $1 AND id = $2";
        command.Parameters.AddWithValue("$1", address);
        command.Parameters.AddWithValue("$2", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<IReadOnlyList<DeviceRecord>> ListAsync(string address, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = Select + " WHERE address = $1 ORDER BY created_at, id";
        command.Parameters.AddWithValue("$1", address);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var devices = new List<DeviceRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            devices.Add(Read(reader));
        }

        return devices;
    }

    /// <summary>Leaves a key package for a device not removed; returns its new version, or null when it is removed or unknown.</summary>
    public async Task<int?> SetPackageAsync(string address, string id, byte[] package, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE devices SET state = 'approved', package = $3, package_version = package_version + 1, updated_at = $4
            WHERE address = $1 AND id = $2 AND state != 'removed'
            RETURNING package_version
            """;
        command.Parameters.AddWithValue("$1", address);
        command.Parameters.AddWithValue("$2", id);
        command.Parameters.AddWithValue("$3", package);
        command.Parameters.AddWithValue("$4", Format(now));
        var version = await command.ExecuteScalarAsync(cancellationToken);
        return version is null ? null : Convert.ToInt32(version, CultureInfo.InvariantCulture);
    }

    /// <summary>Marks a device removed and deletes its package; false when unknown for this account or already removed.</summary>
    public async Task<bool> RemoveAsync(string address, string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.ConnectAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE devices SET state = 'removed', package = NULL, updated_at = $3 WHERE address = $1 AND id = $2 AND state != 'removed'";
        command.Parameters.AddWithValue("$1", address);
        command.Parameters.AddWithValue("$2", id);
        command.Parameters.AddWithValue("$3", Format(now));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private const string Select = "SELECT id, address, name, fingerprint, certificate, state, package, package_version, created_at, updated_at FROM devices";

    private static DeviceRecord Read(SqliteDataReader reader) => new(
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
