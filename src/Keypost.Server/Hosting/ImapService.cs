using Keypost.Imap;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Hosting;

/// <summary>The IMAP listeners as a hosted service: a stop ends every session with an untagged BYE (RFC 9051 §7.1.5).</summary>
internal sealed class ImapService(ImapListener listener, ILogger logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The warm-up ran before (ImapWarmUpService): the port opens on compiled code.
        await listener.StartAsync(cancellationToken);
        foreach (var endpoint in listener.LocalEndPoints)
        {
            logger.LogInformation("IMAP listening on {Endpoint}", endpoint);
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
