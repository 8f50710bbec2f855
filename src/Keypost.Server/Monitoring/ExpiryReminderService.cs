using Keypost.Core.Addresses;
using Keypost.Directory.Lifecycle;
using Keypost.Directory.Storage;
using Keypost.Server.Mail;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Keypost.Server.Monitoring;

/// <summary>
/// Mails owners whose keys expire soon (issue #12, item 5), on a schedule. Each reminder is recorded before it is
/// queued and the record taken back when queueing fails, so a reminder goes out once; without mail service the
/// reminders are only logged and not recorded, so they go out once mail runs.
/// </summary>
public sealed class ExpiryReminderService(ExpiryReminderPlanner planner, LifecycleStore lifecycle, Func<MailHost?> mail, string hostname, TimeSpan interval, TimeProvider clock, ILogger<ExpiryReminderService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _running = new(1, 1);

    /// <summary>One run at <paramref name="now"/> (the clock's time when null); returns how many reminders it queued.</summary>
    public async Task<int> RunOnceAsync(DateTimeOffset? now, CancellationToken cancellationToken)
    {
        // One run at a time, or two could both claim and mail the same reminder.
        await _running.WaitAsync(cancellationToken);
        try
        {
            var at = now ?? clock.GetUtcNow();
            var due = await planner.DueAsync(at, AlreadySentAsync, cancellationToken);
            var sent = 0;
            foreach (var reminder in due)
            {
                logger.LogInformation("key {Fingerprint} of {Address} expires {ExpiresAt:u} ({Days}-day reminder)", reminder.Fingerprint, reminder.Address, reminder.ExpiresAt, reminder.Days);
                if (mail() is not { } host || !await lifecycle.RecordReminderAsync(reminder.Address, reminder.Fingerprint, reminder.Days, at, cancellationToken))
                {
                    continue;
                }

                try
                {
                    var owner = EmailAddress.Parse(reminder.Address);
                    var id = await QueueAsync(host, reminder, at, owner, cancellationToken);
                    logger.LogInformation("expiry reminder for {Address} queued as {QueueId}", owner, id);
                    sent++;
                }
                catch (Exception e)
                {
                    // Taken back so the next run tries again; the exception still ends this run and is logged by the caller.
                    await lifecycle.ForgetReminderAsync(reminder.Address, reminder.Fingerprint, reminder.Days, CancellationToken.None);
                    throw new InvalidOperationException($"the expiry reminder for {reminder.Address} could not be queued", e);
                }
            }

            return sent;
        }
        finally
        {
            _running.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the host's start path: a run reads every served certificate.
        await Task.Yield();
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await RunOnceAsync(null, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "the expiry reminders' run failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Composes and queues one reminder. A method of its own, never inlined: with the MimeKit message in
    /// <see cref="RunOnceAsync"/>, compiling each run mapped MimeKit (0.7 MiB resident) even when no reminder was due
    /// (idle memory, issue #14 item 5).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private Task<string> QueueAsync(MailHost host, ExpiryReminder reminder, DateTimeOffset at, EmailAddress owner, CancellationToken cancellationToken) =>
        OwnerMailQueue.QueueAsync(host.Queue, ExpiryReminderMail.Compose(hostname, reminder, at), owner, cancellationToken);

    private Task<bool> AlreadySentAsync(ExpiryReminder reminder, CancellationToken cancellationToken) =>
        lifecycle.WasReminderSentAsync(reminder.Address, reminder.Fingerprint, reminder.Days, cancellationToken);
}
