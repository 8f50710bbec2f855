using Keypost.Directory.Storage;
using Keypost.Testing.Postgres;
using Npgsql;

namespace Keypost.Directory.Tests.Storage;

/// <summary>The directory store contract on PostgreSQL: each instance has its own connection pool, as a node would.</summary>
[OnPostgres]
public sealed class PostgresDirectoryStoreTests(PostgresDatabase database) : DirectoryStoreContract, IClassFixture<PostgresDatabase>
{
    private int _instances;

    [ContractFact]
    public async Task The_schema_is_recorded_as_part_directory_and_nodes_starting_together_apply_it_once()
    {
        var fresh = await database.CreateAnotherAsync();
        try
        {
            var opened = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => DirectoryDatabase.OpenPostgresAsync(
                NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(fresh) { ApplicationName = "start-" + i }.ConnectionString), ownsDataSource: true, CancellationToken.None)));
            await using var connection = await opened[0].ConnectAsync(CancellationToken.None);
            // One row per step, each step applied once though three nodes started together.
            Assert.Equal(0L, await opened[0].ScalarAsync(connection, null, "SELECT count(*) - count(DISTINCT version) FROM keypost_migration WHERE part = 'directory'", CancellationToken.None));
            Assert.Equal(2L, await opened[0].ScalarAsync(connection, null, "SELECT count(*) FROM keypost_migration WHERE part = 'directory'", CancellationToken.None));
            foreach (var instance in opened)
            {
                await instance.DisposeAsync();
            }
        }
        finally
        {
            await database.Cluster.DropDatabaseAsync(fresh);
        }
    }

    protected override Task<DirectoryDatabase> CreateDatabaseAsync()
    {
        // A distinct application name gives each instance its own pool: two nodes share no connection.
        var builder = new NpgsqlConnectionStringBuilder(database.ConnectionString) { ApplicationName = "node-" + _instances++ };
        return DirectoryDatabase.OpenPostgresAsync(NpgsqlDataSource.Create(builder.ConnectionString), ownsDataSource: true, CancellationToken.None);
    }
}
