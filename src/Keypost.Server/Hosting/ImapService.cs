using Keypost.Imap;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Hosting;

/// <summary>The IMAP listeners as a hosted service: a stop ends every session with an untagged BYE (RFC 9051 §7.1.5).</summary>
internal sealed class ImapService(ImapListener listener, ILogger logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await listener.StartAsync(cancellationToken);
        foreach (var endpoint in listener.LocalEndPoints)
        {
            logger.LogInformation("IMAP listening on {Endpoint}", endpoint);
        }

        // In the background: the listener already accepts; a client arriving meanwhile compiles what it needs itself.
        _ = Task.Run(() => WarmUpAsync(cancellationToken), CancellationToken.None);
    }

    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await listener.WarmUpAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or OperationCanceledException or System.Data.Common.DbException)
        {
            // Only the first SELECT's speed depends on it.
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
