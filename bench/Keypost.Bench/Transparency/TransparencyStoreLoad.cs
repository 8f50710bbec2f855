using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Keypost.Directory.Storage;
using Keypost.Directory.Transparency;

namespace Keypost.Bench.Transparency;

/// <summary>
/// `... -- transparency-store [bindings]`: the directory's real path. N certificate rows are written by SQL, one
/// sequencing logs them (VRF on every core, SQLite), and the database's growth gives the bytes per binding.
/// </summary>
public static class TransparencyStoreLoad
{
    public static async Task RunAsync(string[] args)
    {
        var bindings = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
        var directory = System.IO.Directory.CreateTempSubdirectory("keypost-kt-bench-").FullName;
        try
        {
            var path = Path.Combine(directory, "keypost.db");
            var store = new DirectoryStore(await DirectoryDatabase.OpenAsync(path, CancellationToken.None), TimeProvider.System);
            await store.EnsureDomainAsync("jedi.test", CancellationToken.None);
            await using (var connection = (Microsoft.Data.Sqlite.SqliteConnection)await store.Database.ConnectAsync(CancellationToken.None))
            await using (var transaction = connection.BeginTransaction())
            await using (var command = connection.CreateCommand())
            {
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO accounts(address, local_part, domain, created_at) VALUES ($a, $l, 'jedi.test', '2026-11-29');
                    INSERT INTO certificates(address, domain, wkd_hash, fingerprint, data, state, revoked, published_at)
                    VALUES ($a, 'jedi.test', $h, $f, $d, 'current', 0, '2026-11-29')
                    """;
                var a = command.Parameters.Add("$a", Microsoft.Data.Sqlite.SqliteType.Text);
                var l = command.Parameters.Add("$l", Microsoft.Data.Sqlite.SqliteType.Text);
                var h = command.Parameters.Add("$h", Microsoft.Data.Sqlite.SqliteType.Text);
                var f = command.Parameters.Add("$f", Microsoft.Data.Sqlite.SqliteType.Text);
                var d = command.Parameters.Add("$d", Microsoft.Data.Sqlite.SqliteType.Blob);
                for (var i = 0; i < bindings; i++)
                {
                    l.Value = $"user{i}";
                    a.Value = $"user{i}@jedi.test";
                    h.Value = Keypost.Core.Wkd.WkdHash.Compute($"user{i}");
                    f.Value = Convert.ToHexString(RandomNumberGenerator.GetBytes(20));
                    // About the size of a minimised Ed25519 + X25519 certificate with one user ID.
                    d.Value = RandomNumberGenerator.GetBytes(450);
                    await command.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            }

            var before = await CheckpointedBytesAsync(store, path);
            var watch = Stopwatch.StartNew();
            var transparency = await DirectoryTransparency.OpenAsync(store, TimeProvider.System, new TransparencyOptions(), null, CancellationToken.None);
            await transparency.SequenceAsync(CancellationToken.None);
            var sequenced = watch.Elapsed;
            var after = await CheckpointedBytesAsync(store, path);
            watch.Restart();
            var reopened = await DirectoryTransparency.OpenAsync(store, TimeProvider.System, new TransparencyOptions(), null, CancellationToken.None);
            var restart = watch.Elapsed;
            Console.WriteLine($"{"bindings logged in one epoch (SQLite, VRF on every core)",-75} {bindings:N0} in {sequenced.TotalSeconds:N1} s = {bindings / sequenced.TotalSeconds:N0}/s");
            Console.WriteLine($"{"transparency bytes on disk per binding",-75} {(after - before) / (double)bindings:N0} B ({(after - before) / (1024.0 * 1024):N1} MiB)");
            Console.WriteLine($"{"restart: replay from SQLite",-75} {restart.TotalSeconds:N2} s (log size {reopened.Log("jedi.test")!.Size})");
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The main file's size once the WAL is folded into it.</summary>
    private static async Task<long> CheckpointedBytesAsync(DirectoryStore store, string path)
    {
        await using (var connection = (Microsoft.Data.Sqlite.SqliteConnection)await store.Database.ConnectAsync(CancellationToken.None))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await command.ExecuteNonQueryAsync();
        }

        return new FileInfo(path).Length;
    }
}
