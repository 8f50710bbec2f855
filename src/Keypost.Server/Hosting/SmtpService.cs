using Keypost.Mail.Smtp;
using Keypost.Server.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Hosting;

/// <summary>
/// The SMTP listeners as a hosted service: a stop drains them (RFC 5321 §3.8: no new sessions, 421 between
/// transactions, transactions under way may finish within <see cref="KeypostConfig.DrainSeconds"/>).
/// </summary>
internal sealed class SmtpService(SmtpListener listener, KeypostConfig config, ILogger logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await listener.StartAsync(cancellationToken);
        foreach (var endpoint in listener.LocalEndPoints)
        {
            logger.LogInformation("SMTP listening on {Endpoint}", endpoint);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) =>
        listener.DrainAsync(TimeSpan.FromSeconds(config.DrainSeconds), cancellationToken);
}
