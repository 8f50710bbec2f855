using Keypost.Testing.Postgres;
using Npgsql;

namespace Keypost.Store.Tests.Postgres;

/// <summary>The test bed's private PostgreSQL cluster: one per run, a fresh database per test class.</summary>
public sealed class PostgresClusterTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [PostgresFact]
    public async Task A_class_gets_its_own_empty_database_on_the_shared_private_cluster()
    {
        var other = await database.CreateAnotherAsync();
        try
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using (var create = new NpgsqlCommand("CREATE TABLE t (x int); INSERT INTO t VALUES (1)", connection))
            {
                await create.ExecuteNonQueryAsync();
            }

            await using var second = new NpgsqlConnection(other);
            await second.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", second);
            Assert.Equal(0L, await count.ExecuteScalarAsync());
            await using var server = new NpgsqlCommand("SHOW listen_addresses", connection);
            Assert.Equal("127.0.0.1", await server.ExecuteScalarAsync());
            Assert.Same(await PostgresCluster.GetAsync(), database.Cluster);
        }
        finally
        {
            await database.Cluster.DropDatabaseAsync(other);
        }
    }
}
