using Keypost.Server.Mail;
using Microsoft.Extensions.Hosting;

namespace Keypost.Server.Hosting;

/// <summary>
/// Runs the delivery worker for the host's lifetime. Stopped last, so it keeps delivering while SMTP drains;
/// a delivery cut short by the stop is simply attempted again after the restart (the queue is on disk).
/// </summary>
internal sealed class DeliveryService(MailHost mail) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(() => mail.Worker.RunAsync(stoppingToken), CancellationToken.None);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await base.StopAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping is the expected way out of the delivery loop.
        }
    }
}
