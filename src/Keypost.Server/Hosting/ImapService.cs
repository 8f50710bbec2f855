using System.Diagnostics;
using Keypost.Imap;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Hosting;

/// <summary>The IMAP listeners as a hosted service: a stop ends every session with an untagged BYE (RFC 9051 §7.1.5).</summary>
internal sealed class ImapService(ImapListener listener, ILogger logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The warm-up runs before the listener accepts (and so before READY=1, which the host sends once every
        // service has started): a client that connects as soon as the port opens, or as soon as systemd says the
        // unit is up, meets compiled code instead of racing the warm-up for the two cores (issue #19). It costs
        // 0.1-0.5 s of start-up.
        var started = Stopwatch.GetTimestamp();
        await WarmUpAsync(cancellationToken);
        logger.LogInformation("IMAP warm-up done in {Milliseconds} ms", (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        await listener.StartAsync(cancellationToken);
        foreach (var endpoint in listener.LocalEndPoints)
        {
            logger.LogInformation("IMAP listening on {Endpoint}", endpoint);
        }
    }

    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await listener.WarmUpAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.Data.Common.DbException)
        {
            // Only the first SELECT's speed depends on it: the server starts anyway.
            logger.LogWarning(e, "IMAP warm-up failed");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await listener.StopAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Sessions that did not end in time are abandoned; their sockets close with the process.
        }
    }
}
