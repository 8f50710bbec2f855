using Keypost.Server.Mail;
using Microsoft.Extensions.Hosting;

namespace Keypost.Server.Hosting;

/// <summary>
/// Runs the delivery worker for the host's lifetime. Stopped last, so it keeps delivering while SMTP drains;
/// a delivery cut short by the stop is simply attempted again after the restart (the queue is on disk). The daily
/// TLS reports (RFC 8460) run beside it: they are mail it delivers.
/// </summary>
internal sealed class DeliveryService(MailHost mail) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(
            Task.Run(() => mail.Worker.RunAsync(stoppingToken), CancellationToken.None),
            mail.TlsReportSender is { } reports ? Task.Run(() => reports.RunAsync(stoppingToken), CancellationToken.None) : Task.CompletedTask);

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
