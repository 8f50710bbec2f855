using System.Globalization;
using Keypost.Core.Addresses;
using Microsoft.Data.Sqlite;

namespace Keypost.Client.Contacts;

/// <summary>
/// In charge of the user's contacts: the pinned certificate of each address and the log state seen for it.
/// Pins (address -> fingerprint) in an SQLite file on the user's machine. A changed key is reported, never
/// stored over the old pin: only an explicit verification replaces it.
/// </summary>
public sealed class PinStore(string path, TimeProvider clock)
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();

    /// <summary>Compares a discovered key with the pin, pinning it on first use.</summary>
    public async Task<PinCheck> CheckAsync(EmailAddress address, string fingerprint, CancellationToken cancellationToken)
    {
        var previous = await FindAsync(address, cancellationToken);
        if (previous is null)
        {
            await SaveAsync(address, fingerprint, PinMethod.FirstUse, cancellationToken);
            return new PinCheck(PinOutcome.New, null, fingerprint);
        }

        if (!string.Equals(previous.Fingerprint, fingerprint, StringComparison.OrdinalIgnoreCase))
        {
            return new PinCheck(PinOutcome.Changed, previous, fingerprint);
        }

        await TouchAsync(address, cancellationToken);
        return new PinCheck(PinOutcome.Match, previous, fingerprint);
    }

    /// <summary>Records a fingerprint the user checked out of band, replacing any earlier pin.</summary>
    public Task VerifyAsync(EmailAddress address, string fingerprint, CancellationToken cancellationToken) =>
        SaveAsync(address, fingerprint.ToUpperInvariant(), PinMethod.Fingerprint, cancellationToken);

    /// <summary>Raises a pin's method (e.g. to Transparency) when the same key was proved another way.</summary>
    public async Task UpgradeAsync(EmailAddress address, string fingerprint, PinMethod method, CancellationToken cancellationToken)
    {
        var previous = await FindAsync(address, cancellationToken);
        if (previous is not null && previous.Fingerprint == fingerprint && method > previous.Method)
        {
            await SaveAsync(address, fingerprint, method, cancellationToken);
        }
    }

    /// <summary>
    /// Moves the pin to a successor the pinned key certified (the caller checked the transition signature and the
    /// log proof); the only way a pin changes without the user.
    /// </summary>
    public Task AcceptSuccessorAsync(EmailAddress address, string fingerprint, CancellationToken cancellationToken) =>
        SaveAsync(address, fingerprint, PinMethod.Transparency, cancellationToken);

    /// <summary>Keeps the certificate seen for a pinned key, so a later successor's transition signature can be checked.</summary>
    public async Task RememberCertificateAsync(EmailAddress address, string fingerprint, byte[] certificate, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO pin_certificates(address, fingerprint, data) VALUES ($a, $f, $d)";
        command.Parameters.AddWithValue("$a", address.Canonical);
        command.Parameters.AddWithValue("$f", fingerprint);
        command.Parameters.AddWithValue("$d", certificate);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<byte[]?> FindCertificateAsync(EmailAddress address, string fingerprint, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT data FROM pin_certificates WHERE address = $a AND fingerprint = $f";
        command.Parameters.AddWithValue("$a", address.Canonical);
        command.Parameters.AddWithValue("$f", fingerprint);
        return await command.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    public async Task<Pin?> FindAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        var pins = await QueryAsync("WHERE address = $a", cancellationToken, address.Canonical);
        return pins.Count > 0 ? pins[0] : null;
    }

    public Task<IReadOnlyList<Pin>> ListAsync(CancellationToken cancellationToken) => QueryAsync("ORDER BY address", cancellationToken, null);

    private async Task SaveAsync(EmailAddress address, string fingerprint, PinMethod method, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO pins(address, fingerprint, first_seen, last_verified, method) VALUES ($a, $f, $now, $now, $m)
            ON CONFLICT(address) DO UPDATE SET fingerprint = $f, last_verified = $now, method = $m,
                first_seen = CASE WHEN pins.fingerprint = $f THEN pins.first_seen ELSE $now END
            """;
        command.Parameters.AddWithValue("$a", address.Canonical);
        command.Parameters.AddWithValue("$f", fingerprint);
        command.Parameters.AddWithValue("$now", Now());
        command.Parameters.AddWithValue("$m", method.ToString());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task TouchAsync(EmailAddress address, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE pins SET last_verified = $now WHERE address = $a";
        command.Parameters.AddWithValue("$a", address.Canonical);
        command.Parameters.AddWithValue("$now", Now());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<Pin>> QueryAsync(string tail, CancellationToken cancellationToken, string? address)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT address, fingerprint, first_seen, last_verified, method FROM pins " + tail;
        if (address is not null)
        {
            command.Parameters.AddWithValue("$a", address);
        }

        var pins = new List<Pin>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            pins.Add(new Pin(
                reader.GetString(0),
                reader.GetString(1),
                DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture),
                Enum.Parse<PinMethod>(reader.GetString(4))));
        }

        return pins;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var schema = connection.CreateCommand();
        schema.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS pins (
                address TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, first_seen TEXT NOT NULL,
                last_verified TEXT NOT NULL, method TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS pin_certificates (
                address TEXT NOT NULL, fingerprint TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (address, fingerprint));
            """;
        await schema.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    private string Now() => clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
}
