using Keypost.Directory.Storage;
using Keypost.Testing;
using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Tests.Transparency;

/// <summary>The transparency contract on the single-node SQLite file.</summary>
public sealed class SqliteDirectoryTransparencyTests : DirectoryTransparencyContract
{
    private readonly TempDirectory _directory = new("keypost-kt");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }

    protected override Task<DirectoryDatabase> CreateDatabaseAsync() =>
        DirectoryDatabase.OpenAsync(_directory.Combine("keypost.db"), CancellationToken.None);
}
