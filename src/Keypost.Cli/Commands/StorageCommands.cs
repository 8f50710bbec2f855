using System.CommandLine;
using Keypost.Server.Configuration;
using Keypost.Server.Migration;
using Npgsql;

namespace Keypost.Cli.Commands;

/// <summary>`keypost storage migrate --to postgres`: moves a single-node installation into PostgreSQL (docs/postgres.md).</summary>
public static class StorageCommands
{
    public static Command Create() => new("storage", "Move the server's state between storage kinds.") { Migrate() };

    private static Command Migrate()
    {
        var config = ConfigOption.Create();
        var to = new Option<string>("--to") { Description = "The storage to copy into: postgres", Required = true };
        var connection = new Option<string?>("--connection-string")
        {
            Description = "The PostgreSQL connection string (default: storage.connectionString of the configuration)",
        };
        var command = new Command(
            "migrate",
            "Copy this node's directory, transparency log, DKIM keys, queue and mailboxes into PostgreSQL, verified; run it again to finish an interrupted run.")
        {
            to, connection, config,
        };
        command.SetAction((result, cancellationToken) => CliAction.RunAsync(async () =>
        {
            if (result.GetValue(to) != StorageConfig.Postgres)
            {
                throw new CliUsageException("--to: only 'postgres' is supported");
            }

            var settings = KeypostConfig.Load(ConfigOption.Resolve(result.GetValue(config)));
            var connectionString = result.GetValue(connection) ?? settings.Storage.ConnectionString
                ?? throw new CliUsageException("no PostgreSQL connection string: give --connection-string or storage.connectionString in the configuration");
            try
            {
                var summary = await new StorageMigrator(settings, connectionString).MigrateAsync(cancellationToken);
                await Console.Out.WriteLineAsync(summary.ToString());
                return 0;
            }
            catch (Exception e) when (e is StorageMigrationException or NpgsqlException or InvalidOperationException or ArgumentException or FormatException)
            {
                throw new CliException(e.Message);
            }
        }));
        return command;
    }
}
