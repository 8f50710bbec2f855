using Keypost.Directory.Storage;
using Keypost.Testing;
using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Tests.Storage;

/// <summary>The directory store contract on the single-node SQLite file: each instance opens the same file.</summary>
public sealed class SqliteDirectoryStoreTests : DirectoryStoreContract
{
    private readonly TempDirectory _directory = new("keypost-dirstore");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    protected override Task<DirectoryDatabase> CreateDatabaseAsync() =>
        DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None);
}
