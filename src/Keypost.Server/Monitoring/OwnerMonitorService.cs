using Keypost.Core.Addresses;
using Keypost.Directory.Monitoring;
using Keypost.Mail.Queue;
using Keypost.Server.Mail;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Monitoring;

/// <summary>
/// In charge of the server's mail to its own users: key-change alerts and expiry reminders.
/// Runs the <see cref="BindingHistoryMonitor"/> on a schedule (issue #11: "the server can run it for its users on a
/// schedule and mail the owner") and queues one alert mail per owner with alerts; local delivery puts it in his
/// INBOX. Without mail service the alerts are logged.
/// </summary>
public sealed class OwnerMonitorService(BindingHistoryMonitor monitor, Func<MailHost?> mail, string hostname, TimeSpan interval, TimeProvider clock, ILogger<OwnerMonitorService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _running = new(1, 1);

    /// <summary>One run: judges every new version, queues the alert mails, then keeps what was judged; returns how many mails it queued.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        // One run at a time, or two could both mail the same alert before either commits; across nodes on one
        // database, a node that finds another one running leaves the run to it.
        await _running.WaitAsync(cancellationToken);
        try
        {
            await using var turn = await monitor.TryTakeTurnAsync(cancellationToken);
            return turn is null ? 0 : await RunAsync(cancellationToken);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var sent = 0;
        foreach (var check in await monitor.CheckAsync(cancellationToken))
        {
            if (check.Alerts.Count > 0)
            {
                foreach (var alert in check.Alerts)
                {
                    logger.LogWarning("key alert for {Address}: {Alert}", alert.Address, alert.ToString());
                }

                if (mail() is { } host)
                {
                    await QueueAsync(host.Queue, check.Alerts, cancellationToken);
                    sent++;
                }
            }

            // Only after the mail is durably queued: a crash before this line mails the alert again, never not at all.
            await monitor.CommitAsync(check, cancellationToken);
        }

        return sent;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the host's start path: the first run reads every account's history.
        await Task.Yield();
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "the owner monitor's run failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task QueueAsync(MessageQueue queue, IReadOnlyList<BindingAlert> alerts, CancellationToken cancellationToken)
    {
        var owner = EmailAddress.Parse(alerts[0].Address);
        var id = await OwnerMailQueue.QueueAsync(queue, OwnerAlertMail.Compose(hostname, alerts, clock.GetUtcNow()), owner, cancellationToken);
        logger.LogInformation("key alert for {Address} queued as {QueueId}", owner, id);
    }
}
