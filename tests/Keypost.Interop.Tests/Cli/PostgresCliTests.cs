using Keypost.Server.Configuration;
using Keypost.Testing;
using Keypost.Testing.Beds;
using Keypost.Testing.Postgres;

namespace Keypost.Interop.Tests.Cli;

/// <summary>
/// Issue #15: with storage.kind "postgres", the commands that touch the directory (user add, directory publish and
/// list, log key) use the database, so an operator on any node sees what another node's command did.
/// </summary>
public sealed class PostgresCliTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [PostgresFact]
    public async Task Directory_commands_on_two_nodes_share_the_accounts_keys_and_log_key_in_PostgreSQL()
    {
        using var directory = new TempDirectory("keypost-cli-pg");
        foreach (var node in new[] { "a", "b" })
        {
            System.IO.Directory.CreateDirectory(directory.Combine(node));
            new KeypostConfig
            {
                DataDirectory = "data",
                Domains = [new DomainConfig { Name = "jedi.test" }],
                Storage = new StorageConfig { Kind = StorageConfig.Postgres, ConnectionString = database.ConnectionString },
            }.Save(directory.Combine(node, "keypost.json"));
        }

        var added = await KeypostCli.RunAsync(["user", "add", "luke@jedi.test"], "use the force\n", directory.Combine("a"));
        Assert.True(added.ExitCode == 0, added.ToString());
        var generated = await KeypostCli.RunAsync(["key", "generate", "--address", "luke@jedi.test", "--out", "luke"], workingDirectory: directory.Combine("a"));
        Assert.True(generated.ExitCode == 0, generated.ToString());
        var fingerprint = generated.StandardOutput.Split(' ')[0];
        var published = await KeypostCli.RunAsync(["directory", "publish", "luke.asc"], workingDirectory: directory.Combine("a"));
        Assert.True(published.ExitCode == 0, published.ToString());

        // Node B's commands, with a data directory of their own, read what node A's wrote.
        var listed = await KeypostCli.RunAsync(["directory", "list"], workingDirectory: directory.Combine("b"));
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.StartsWith($"luke@jedi.test\t{fingerprint}\t", listed.StandardOutput, StringComparison.Ordinal);
        var users = await KeypostCli.RunAsync(["user", "list"], workingDirectory: directory.Combine("b"));
        Assert.Contains("luke@jedi.test", users.StandardOutput, StringComparison.Ordinal);
        var keyA = await KeypostCli.RunAsync(["log", "key", "--domain", "jedi.test"], workingDirectory: directory.Combine("a"));
        var keyB = await KeypostCli.RunAsync(["log", "key", "--domain", "jedi.test"], workingDirectory: directory.Combine("b"));
        Assert.True(keyA.ExitCode == 0, keyA.ToString());
        Assert.Equal(keyA.StandardOutput, keyB.StandardOutput);

        // Nothing of the directory went to a node's disk.
        Assert.False(File.Exists(directory.Combine("a", "data", "keypost.db")));
        Assert.False(File.Exists(directory.Combine("b", "data", "keypost.db")));
    }
}
