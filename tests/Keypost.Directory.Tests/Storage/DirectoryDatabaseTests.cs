using Keypost.Core.Addresses;
using Keypost.Directory.Storage;
using Keypost.Testing;
using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Tests.Storage;

public sealed class DirectoryDatabaseTests
{
    [Fact]
    public async Task Schema_is_versioned_uses_wal_and_survives_reopening()
    {
        using var directory = new TempDirectory("keypost-db");
        var path = directory.Combine("keypost.db");
        var database = await DirectoryDatabase.OpenAsync(path, CancellationToken.None);
        var store = new DirectoryStore(database, TimeProvider.System);
        await store.EnsureDomainAsync("jedi.test", CancellationToken.None);
        await store.PublishAsync(EmailAddress.Parse("luke@jedi.test"), "AA", [1, 2, 3], false, CancellationToken.None);

        var reopened = new DirectoryStore(await DirectoryDatabase.OpenAsync(path, CancellationToken.None), TimeProvider.System);
        Assert.Equal([1, 2, 3], (await reopened.FindCurrentAsync(EmailAddress.Parse("LUKE@jedi.test"), CancellationToken.None))!.Data);

        await using var connection = await database.ConnectAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode; PRAGMA user_version;";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("wal", reader.GetString(0));
        Assert.True(await reader.NextResultAsync() && await reader.ReadAsync());
        Assert.True(reader.GetInt64(0) >= 1);
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Every_connection_handed_out_has_the_durability_and_integrity_settings()
    {
        // The settings are made once per physical connection: a pooled one comes back with them, a second one opened
        // beside the first gets its own, and so does one opened after the pool was emptied.
        using var directory = new TempDirectory("keypost-db");
        var database = await DirectoryDatabase.OpenAsync(directory.Combine("keypost.db"), CancellationToken.None);
        await AssertSettingsAsync(database);
        await using (var held = await database.ConnectAsync(CancellationToken.None))
        {
            await AssertSettingsAsync(database);
        }

        await AssertSettingsAsync(database);
        SqliteConnection.ClearAllPools();
        await AssertSettingsAsync(database);
        SqliteConnection.ClearAllPools();

        static async Task AssertSettingsAsync(DirectoryDatabase database)
        {
            await using var connection = await database.ConnectAsync(CancellationToken.None);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous; PRAGMA foreign_keys; PRAGMA busy_timeout;";
            await using var reader = await command.ExecuteReaderAsync();
            var values = new List<long>();
            do
            {
                Assert.True(await reader.ReadAsync());
                values.Add(reader.GetInt64(0));
            }
            while (await reader.NextResultAsync());

            Assert.Equal([2L, 1L, 30000L], values); // synchronous=FULL, foreign keys on, 30 s busy timeout
        }
    }

    [Fact]
    public async Task Point_lookups_see_at_once_what_another_process_commits()
    {
        // The server answers point lookups from statements it keeps prepared on a connection of their own; a
        // `keypost` command (here, a second database object on the same file) changes the rows in between.
        using var directory = new TempDirectory("keypost-db");
        var path = directory.Combine("keypost.db");
        var ct = CancellationToken.None;
        var server = new DirectoryStore(await DirectoryDatabase.OpenAsync(path, ct), TimeProvider.System);
        var command = new DirectoryStore(await DirectoryDatabase.OpenAsync(path, ct), TimeProvider.System);
        var luke = EmailAddress.Parse("luke@jedi.test");

        Assert.False(await server.IsHostedDomainAsync("jedi.test", ct));
        await command.EnsureDomainAsync("jedi.test", ct);
        Assert.True(await server.IsHostedDomainAsync("jedi.test", ct));
        Assert.False(await server.IsHostedDomainAsync("sith.test", ct));

        Assert.Null(await server.GetPasswordHashAsync(luke, ct));
        await command.SetPasswordHashAsync(luke, "first", ct);
        Assert.Equal("first", await server.GetPasswordHashAsync(luke, ct));
        await command.SetPasswordHashAsync(luke, "second", ct);
        Assert.Equal("second", await server.GetPasswordHashAsync(luke, ct));
        Assert.True(await command.RemoveAccountAsync(luke, ct));
        Assert.Null(await server.GetPasswordHashAsync(luke, ct));

        // A late lookup during shutdown still gets an answer.
        await server.Database.DisposeAsync();
        Assert.True(await server.IsHostedDomainAsync("jedi.test", ct));
        await command.Database.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task A_database_from_a_newer_keypost_is_refused()
    {
        using var directory = new TempDirectory("keypost-db");
        var path = directory.Combine("keypost.db");
        await using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 999";
            await command.ExecuteNonQueryAsync();
        }

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => DirectoryDatabase.OpenAsync(path, CancellationToken.None));
        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accounts_need_a_hosted_domain()
    {
        using var directory = new TempDirectory("keypost-db");
        var store = new DirectoryStore(await DirectoryDatabase.OpenAsync(directory.Combine("k.db"), CancellationToken.None), TimeProvider.System);
        await Assert.ThrowsAsync<DirectoryException>(() => store.EnsureAccountAsync(EmailAddress.Parse("vader@empire.test"), CancellationToken.None));
        SqliteConnection.ClearAllPools();
    }
}
