using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Keypost.Store.Postgres;

/// <summary>
/// LISTENs on one channel over a connection of its own and hands each notification's payload on. When the connection
/// is lost it reconnects and calls the catch-up action, since notifications sent meanwhile are gone (PostgreSQL keeps
/// none for a listener that is not connected). Used for changes made by other nodes: mailboxes, the queue.
/// </summary>
public sealed class PostgresListener : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _channel;
    private readonly Action<string> _notified;
    private readonly Func<CancellationToken, Task> _catchUp;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private PostgresListener(NpgsqlDataSource dataSource, string channel, Action<string> notified, Func<CancellationToken, Task> catchUp, ILogger logger)
    {
        _dataSource = dataSource;
        _channel = channel;
        _notified = notified;
        _catchUp = catchUp;
        _logger = logger;
    }

    /// <summary>Returns once LISTEN has taken effect: a change committed after that is never missed.</summary>
    /// <param name="channel">A plain identifier (letters, digits, underscores).</param>
    public static async Task<PostgresListener> StartAsync(
        NpgsqlDataSource dataSource, string channel, Action<string> notified, Func<CancellationToken, Task> catchUp, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrEmpty(channel) || !channel.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            throw new ArgumentException("a channel is lower-case letters, digits and underscores", nameof(channel));
        }

        var listener = new PostgresListener(dataSource, channel, notified, catchUp, logger);
        var connection = await listener.ConnectAsync(cancellationToken).ConfigureAwait(false);
        listener._loop = listener.RunAsync(connection, listener._stop.Token);
        return listener;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task<NpgsqlConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            connection.Notification += (_, e) => _notified(e.Payload);
            await using var listen = new NpgsqlCommand("LISTEN " + _channel, connection);
            await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task RunAsync(NpgsqlConnection? connection, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (connection is null)
                {
                    connection = await ConnectAsync(cancellationToken).ConfigureAwait(false);
                    await _catchUp(cancellationToken).ConfigureAwait(false);
                    _logger.LogInformation("Listening on {Channel} again", _channel);
                }

                await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or SocketException or InvalidOperationException or TimeoutException)
            {
                _logger.LogWarning(e, "Lost the connection listening on {Channel} for other nodes' changes; reconnecting", _channel);
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    connection = null;
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
