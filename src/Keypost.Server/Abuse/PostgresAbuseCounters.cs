using System.Globalization;
using Keypost.Core.Abuse;
using Keypost.Data.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Keypost.Server.Abuse;

/// <summary>
/// The abuse counters nodes share in PostgreSQL (docs/postgres.md): one row per (scope, key, window start), counted
/// with one statement (<c>INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count</c>), so two nodes
/// counting at once never lose a count. Windows are fixed and on the database's clock, so nodes' clocks do not
/// matter. Old windows are deleted now and then by whichever node counts.
/// </summary>
public sealed class PostgresAbuseCounters : ISharedAbuseCounters
{
    private const string Part = "abuse";

    // Rows older than this are of no use to any window in use (the longest is the login throttle's, an hour by default).
    private static readonly TimeSpan Keep = TimeSpan.FromDays(1);

    private static readonly IReadOnlyList<string> Steps =
    [
        """
        CREATE TABLE abuse_counter (
            scope         text NOT NULL,
            key           text NOT NULL,
            window_start  bigint NOT NULL,
            count         bigint NOT NULL,
            PRIMARY KEY (scope, key, window_start));
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger _logger;
    private long _increments;

    private PostgresAbuseCounters(NpgsqlDataSource dataSource, ILogger logger)
    {
        _dataSource = dataSource;
        _logger = logger;
    }

    public static async Task<PostgresAbuseCounters> OpenAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);
        await PostgresMigrations.ApplyAsync(dataSource, Part, Steps, cancellationToken);
        return new PostgresAbuseCounters(dataSource, logger);
    }

    public async Task<long> IncrementAsync(string scope, string key, TimeSpan window, CancellationToken cancellationToken)
    {
        try
        {
            if (Interlocked.Increment(ref _increments) % 1000 == 0)
            {
                await PruneAsync(cancellationToken);
            }

            await using var command = _dataSource.CreateCommand(
                $"""
                INSERT INTO abuse_counter AS c (scope, key, window_start, count) VALUES ($1, $2, {WindowStart}, 1)
                ON CONFLICT (scope, key, window_start) DO UPDATE SET count = c.count + 1
                RETURNING count
                """);
            Bind(command, scope, key, window);
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // Not fatal: the node's own per-node limits still apply; say so, and serve the client.
            _logger.LogWarning(e, "Shared {Scope} counter not reachable in PostgreSQL; counting on this node only for now", scope);
            return 0;
        }
    }

    public async Task<long> ReadAsync(string scope, string key, TimeSpan window, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = _dataSource.CreateCommand(
                $"SELECT count FROM abuse_counter WHERE scope = $1 AND key = $2 AND window_start = {WindowStart}");
            Bind(command, scope, key, window);
            return await command.ExecuteScalarAsync(cancellationToken) as long? ?? 0;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            _logger.LogWarning(e, "Shared {Scope} counter not reachable in PostgreSQL; counting on this node only for now", scope);
            return 0;
        }
    }

    // The start of the fixed window holding now, in Unix seconds, on the database's clock ($3: the window in seconds).
    private const string WindowStart = "(floor(extract(epoch FROM now()) / $3)::bigint * $3)";

    private static void Bind(NpgsqlCommand command, string scope, string key, TimeSpan window)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = scope });
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = Math.Max(1L, (long)window.TotalSeconds) });
    }

    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "DELETE FROM abuse_counter WHERE window_start < extract(epoch FROM now())::bigint - " + ((long)Keep.TotalSeconds).ToString(CultureInfo.InvariantCulture));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
