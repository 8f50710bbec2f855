using System.Threading.Channels;
using Keypost.Mail.Diagnostics;
using Keypost.Mail.Dns;
using Keypost.Mail.Queue;
using Keypost.Mail.Smtp;
using Microsoft.Extensions.Logging;
using MimeKit;
using Keypost.Store;

namespace Keypost.Mail.Delivery;

/// <summary>
/// In charge of delivery: local mailboxes, and remote exchangers by MX with the transport policy, retries and DSNs.
/// Takes due messages from the queue and delivers them: to local Maildirs for hosted domains, otherwise by SMTP
/// to the domain's mail exchanger, one connection per domain per pass. Temporary failures are retried on the
/// <see cref="DeliveryOptions.RetryIntervals"/> schedule until <see cref="DeliveryOptions.GiveUpAfter"/>; permanent
/// failures and expiries bounce with a DSN to the reverse-path (never for a null reverse-path, RFC 5321 §4.5.5).
/// </summary>
public sealed class DeliveryWorker : IDisposable
{
    private readonly MessageQueue queue;
    private readonly IMailAccounts accounts;
    private readonly DeliveryOptions options;
    private readonly RouteResolver routes;
    private readonly TransportPolicyResolver policies;
    private readonly LocalDelivery local;
    private readonly DsnComposer dsn;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public DeliveryWorker(MessageQueue queue, IMailStore maildir, IMailAccounts accounts, IMailDnsResolver dns, DeliveryOptions options)
    {
        this.queue = queue ?? throw new ArgumentNullException(nameof(queue));
        this.accounts = accounts ?? throw new ArgumentNullException(nameof(accounts));
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentNullException.ThrowIfNull(maildir);
        ArgumentNullException.ThrowIfNull(dns);
        routes = new RouteResolver(dns);
        policies = new TransportPolicyResolver(dns, options.MtaSts, options.SmtpPort, options.UseDane);
        time = options.TimeProvider;
        local = new LocalDelivery(maildir, accounts, options.LocalDomain, options.Metrics, time);
        dsn = new DsnComposer(options.LocalDomain);
        logger = options.LoggerFactory.CreateLogger("Keypost.Mail.Delivery");
        queue.MessageEnqueued += OnEnqueued;
    }

    /// <summary>Asks the worker to look at the queue now (called automatically when a message is enqueued).</summary>
    public void Wake() => wake.Writer.TryWrite(true);

    /// <summary>Delivers until cancelled: a pass over what is due, then sleep until the next due time, a wake-up or the poll interval.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One bad pass (disk, lock, a peer's surprise) must not stop delivery: everything is still queued
                // and is tried on the next pass. The error is in the recipients' LastError when it was theirs.
                logger.LogError(MailLogEvents.DeliveryPassFailed, e, "Delivery pass failed; everything stays queued for the next pass");
            }

            await SleepAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One pass over every message due now; returns how many messages were attempted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var due = await queue.GetDueAsync(options.BatchSize, cancellationToken).ConfigureAwait(false);
        if (due.Count == 0)
        {
            return 0;
        }

        var now = time.GetUtcNow();
        var byDomain = due
            .SelectMany(m => m.Recipients
                .Where(r => !r.IsFinal && r.NextAttempt <= now)
                .Select(r => (Message: m, Recipient: r)))
            .GroupBy(x => x.Recipient.Address.Domain, StringComparer.Ordinal)
            .Select(g => (Domain: g.Key, Items: g.GroupBy(x => x.Message.Id)
                .Select(m => new DeliveryItem(m.First().Message, m.Select(x => x.Recipient).ToList()))
                .ToList()))
            .ToList();

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelDomains, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(byDomain, parallel, async (group, ct) => await DeliverDomainAsync(group.Domain, group.Items, ct).ConfigureAwait(false))
            .ConfigureAwait(false);
        return due.Count;
    }

    public void Dispose()
    {
        queue.MessageEnqueued -= OnEnqueued;
        wake.Writer.TryComplete();
    }

    private void OnEnqueued(object? sender, string id) => Wake();

    private async Task SleepAsync(CancellationToken cancellationToken)
    {
        var delay = options.PollInterval;
        var next = await queue.GetNextDueAsync(cancellationToken).ConfigureAwait(false);
        if (next is { } when)
        {
            var untilDue = when - time.GetUtcNow();
            delay = untilDue < delay ? untilDue : delay;
        }

        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(delay);
        try
        {
            if (await wake.Reader.WaitToReadAsync(timer.Token).ConfigureAwait(false))
            {
                wake.Reader.TryRead(out _);
            }
            else
            {
                // Disposed while running: no more wake-ups, only the timer.
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The sleep ran out.
        }
    }

    private async Task DeliverDomainAsync(string domain, IReadOnlyList<DeliveryItem> items, CancellationToken cancellationToken)
    {
        if (await accounts.IsHostedDomainAsync(domain, cancellationToken).ConfigureAwait(false))
        {
            // In parallel: one at a time, every delivery waited for two fsyncs of its own (the file, then new/).
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelLocalDeliveries), CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(items, parallel, async (item, ct) =>
            {
                var started = time.GetTimestamp();
                var results = await local.DeliverAsync(item, () => queue.OpenData(item.Message.Id), ct).ConfigureAwait(false);
                await FinishAsync(item, results, "local", started, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);

            return;
        }

        var routeStarted = time.GetTimestamp();
        var route = await routes.ResolveAsync(domain, cancellationToken).ConfigureAwait(false);
        if (!route.HasEndpoints)
        {
            foreach (var item in items)
            {
                var results = item.Recipients.Select(r => new DeliveryResult(r.Index, route.FailureKind, route.Status, "x-keypost; " + route.Error)).ToList();
                await FinishAsync(item, results, "remote", routeStarted, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var policy = await policies.ResolveAsync(domain, route, cancellationToken).ConfigureAwait(false);
        // RFC 8689: messages sent with REQUIRETLS, messages marked "TLS-Required: No" and the rest each go over a
        // connection of their own, since each asks something different of the host and its certificate.
        var byDemand = new Dictionary<TlsDemand, List<DeliveryItem>>();
        foreach (var item in items)
        {
            TlsDemand demand;
            try
            {
                demand = await DemandOfAsync(item.Message, cancellationToken).ConfigureAwait(false);
            }
            catch (FileNotFoundException)
            {
                logger.LogInformation(MailLogEvents.DeliveryAttempt, "Delivery {QueueId}: removed from the queue while being delivered", item.Message.Id);
                continue;
            }

            if (!byDemand.TryGetValue(demand, out var list))
            {
                byDemand[demand] = list = [];
            }

            list.Add(item);
        }

        foreach (var (demand, demanding) in byDemand)
        {
            // RFC 8689 §5: "TLS-Required: No" asks that the domain's MTA-STS and DANE policies be ignored; STARTTLS
            // is still used whenever offered.
            var effective = demand == TlsDemand.PolicyIgnored ? TransportPolicy.None(domain) : policy;
            await using var session = new RemoteSession(route, effective, options, requireTls: demand == TlsDemand.RequireTls, offerRequireTls: demand == TlsDemand.OfferRequireTls);
            await SendAllAsync(session, demanding, cancellationToken).ConfigureAwait(false);
        }
    }

    // RFC 8689 §4.1: REQUIRETLS in MAIL FROM wins, and the TLS-Required header field is then ignored.
    private async Task<TlsDemand> DemandOfAsync(QueuedMessage message, CancellationToken cancellationToken)
    {
        if (message.RequireTls)
        {
            // RFC 8689 §4.2.1 binds messages with a return path; a (redacted) DSN of a REQUIRETLS message asks for
            // REQUIRETLS where the next hop offers it but is not held back where it does not (§4.2.2).
            return message.ReversePath is null ? TlsDemand.OfferRequireTls : TlsDemand.RequireTls;
        }

        await using var data = queue.OpenData(message.Id);
        var headers = await HeaderList.LoadAsync(ParserOptions.Default, data, cancellationToken).ConfigureAwait(false);
        return headers["TLS-Required"]?.Trim().Equals("No", StringComparison.OrdinalIgnoreCase) == true ? TlsDemand.PolicyIgnored : TlsDemand.Policy;
    }

    private async Task SendAllAsync(RemoteSession session, IReadOnlyList<DeliveryItem> items, CancellationToken cancellationToken)
    {
        foreach (var item in items)
        {
            IReadOnlyList<DeliveryResult> results;
            var started = time.GetTimestamp();
            try
            {
                await using var data = queue.OpenData(item.Message.Id);
                results = await session.SendAsync(item, data, cancellationToken).ConfigureAwait(false);
            }
            catch (FileNotFoundException)
            {
                logger.LogInformation(MailLogEvents.DeliveryAttempt, "Delivery {QueueId}: removed from the queue while being delivered", item.Message.Id);
                continue; // Removed from the queue while we worked (keypost queue remove).
            }

            await FinishAsync(item, results, "remote", started, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FinishAsync(DeliveryItem item, IReadOnlyList<DeliveryResult> results, string route, long started, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        LogAttempt(item, results, route, started, now);
        var expired = now - item.Message.Created >= options.GiveUpAfter;
        var outcomes = new List<RecipientOutcome>();
        var failures = new List<(QueuedRecipient, DeliveryResult)>();
        foreach (var result in results)
        {
            var recipient = item.Recipients.First(r => r.Index == result.Index);
            switch (result.Kind)
            {
                case DeliveryResultKind.Delivered:
                    outcomes.Add(RecipientOutcome.Delivered(result.Index));
                    break;
                case DeliveryResultKind.Temporary when !expired:
                    outcomes.Add(RecipientOutcome.Deferred(result.Index, result.Diagnostic, now + options.RetryDelay(recipient.Attempts + 1)));
                    break;
                case DeliveryResultKind.Temporary:
                    // RFC 5321 §4.5.4.1: give up after the retry window; RFC 3463 X.4.7 "delivery time expired".
                    var expiredResult = result with { Kind = DeliveryResultKind.Permanent, Status = "5.4.7", Diagnostic = result.Diagnostic + " (retry time expired)" };
                    outcomes.Add(RecipientOutcome.Failed(result.Index, expiredResult.Diagnostic));
                    failures.Add((recipient, expiredResult));
                    break;
                default:
                    outcomes.Add(RecipientOutcome.Failed(result.Index, result.Diagnostic));
                    failures.Add((recipient, result));
                    break;
            }
        }

        // The DSN is queued before the failure is recorded: the original's data is still there to quote, and a
        // crash in between repeats the DSN rather than losing it.
        if (failures.Count > 0 && item.Message.ReversePath is { } reversePath)
        {
            await BounceAsync(item.Message, reversePath, failures, now, cancellationToken).ConfigureAwait(false);
        }

        await queue.RecordAsync(item.Message.Id, outcomes, cancellationToken).ConfigureAwait(false);
    }

    // One line per recipient per attempt: queue id, where it went, what came of it and how long it took. The
    // recipient's domain is named, not the address (that is at Debug), for the same reason as in SMTP's line.
    private void LogAttempt(DeliveryItem item, IReadOnlyList<DeliveryResult> results, string route, long started, DateTimeOffset now)
    {
        var elapsed = (long)time.GetElapsedTime(started).TotalMilliseconds;
        var expired = now - item.Message.Created >= options.GiveUpAfter;
        foreach (var result in results)
        {
            var recipient = item.Recipients.First(r => r.Index == result.Index);
            var outcome = result.Kind switch
            {
                DeliveryResultKind.Delivered => "delivered",
                DeliveryResultKind.Temporary when !expired => "deferred",
                _ => "failed",
            };
            options.Metrics?.Delivery(outcome, route);
            logger.LogInformation(
                MailLogEvents.DeliveryAttempt,
                "Delivery {QueueId} to {RecipientDomain} via {Mta} ({Route}): {Result} {Status} attempt {Attempt}, {ElapsedMs} ms: {Diagnostic}",
                item.Message.Id, recipient.Address.Domain, result.RemoteMta ?? "-", route, outcome, result.Status, recipient.Attempts + 1, elapsed, result.Diagnostic);
            logger.LogDebug(MailLogEvents.DeliveryAttempt, "Delivery {QueueId} recipient {Index}: {Recipient}", item.Message.Id, result.Index, recipient.Address);
        }
    }

    private async Task BounceAsync(QueuedMessage original, Keypost.Core.Addresses.EmailAddress reversePath, List<(QueuedRecipient, DeliveryResult)> failures, DateTimeOffset now, CancellationToken cancellationToken)
    {
        MimeMessage report;
        await using (var data = queue.OpenData(original.Id))
        {
            report = await dsn.ComposeAsync(original, reversePath, failures, data, now, cancellationToken).ConfigureAwait(false);
        }

        using var buffer = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        await report.WriteToAsync(format, buffer, cancellationToken).ConfigureAwait(false);
        buffer.Position = 0;
        // RFC 5321 §4.5.5: a DSN is sent with a null reverse-path, so it can never cause another DSN.
        // RFC 8689 §4.2.2: the DSN of a REQUIRETLS message carries only the original's header section (as every DSN
        // of ours does, RET=HDRS) and is itself tagged, so it asks for REQUIRETLS on its way back.
        var envelope = new QueueEnvelope(null, [reversePath], SmtpUtf8: reversePath.IsInternational, RequireTls: original.RequireTls);
        var id = await queue.EnqueueAsync(envelope, buffer, cancellationToken).ConfigureAwait(false);
        logger.LogInformation(MailLogEvents.Bounced, "Delivery {QueueId}: {Failures} recipients failed; DSN queued as {DsnQueueId}", original.Id, failures.Count, id);
    }
}
