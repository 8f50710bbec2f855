namespace Keypost.Testing.Postgres;

/// <summary>
/// A fresh database on the test run's <see cref="PostgresCluster"/> for one test class (<c>IClassFixture</c>), dropped
/// after the class. Creates nothing when PostgreSQL is missing (the class's tests are skipped then, see
/// <see cref="PostgresFactAttribute"/>).
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private PostgresCluster? _cluster;
    private string? _connectionString;

    /// <summary>The database's connection string (as the cluster's superuser).</summary>
    public string ConnectionString => _connectionString ?? throw new InvalidOperationException(
        "no PostgreSQL for this test: " + (PostgresCluster.Missing ?? "the database was not created"));

    public PostgresCluster Cluster => _cluster ?? throw new InvalidOperationException("no PostgreSQL cluster for this test");

    public async Task InitializeAsync()
    {
        if (PostgresCluster.Missing is not null && !ExternalTool.Required)
        {
            return;
        }

        _cluster = await PostgresCluster.GetAsync();
        _connectionString = await _cluster.CreateDatabaseAsync();
    }

    /// <summary>Another fresh database on the same cluster (a test that needs more than one, e.g. two installations).</summary>
    public Task<string> CreateAnotherAsync() => Cluster.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null && _connectionString is not null)
        {
            await _cluster.DropDatabaseAsync(_connectionString);
        }
    }
}
