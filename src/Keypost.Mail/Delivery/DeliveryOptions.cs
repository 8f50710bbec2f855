using Keypost.Mail.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Mail.Delivery;

public sealed class DeliveryOptions
{
    /// <summary>This server's host name: sent in EHLO and named as Reporting-MTA in DSNs.</summary>
    public required string LocalDomain { get; init; }

    /// <summary>The port of remote mail exchangers (25; tests use another).</summary>
    public int SmtpPort { get; init; } = 25;

    /// <summary>
    /// Waits between attempts, the last one repeating (RFC 5321 §4.5.4.1: at least 30 minutes in general, shorter
    /// at first is common practice).
    /// </summary>
    public IReadOnlyList<TimeSpan> RetryIntervals { get; init; } =
    [
        TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
    ];

    /// <summary>How long after queueing a message is given up (RFC 5321 §4.5.4.1: 4-5 days).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromDays(5);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of each SMTP command (RFC 5321 §4.5.3.2 suggests minutes; one value keeps it simple).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest the worker sleeps before looking at the queue again when nothing wakes it.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Domains delivered to at the same time.</summary>
    public int MaxParallelDomains { get; init; } = 8;

    /// <summary>
    /// Messages delivered to local Maildirs at the same time. Each delivery's file fsync runs beside the others
    /// (the file system commits them together) and deliveries into one Maildir share the fsync of its new/.
    /// </summary>
    public int MaxParallelLocalDeliveries { get; init; } = 8;

    /// <summary>Messages taken from the queue per pass.</summary>
    public int BatchSize { get; init; } = 200;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the one line per delivery attempt and every failed pass go.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Delivery and store counters; null measures nothing.</summary>
    public MailMetrics? Metrics { get; init; }

    /// <summary>Use DANE (RFC 7672) where TLSA records are DNSSEC-secure (needs a resolver trusted for the AD bit).</summary>
    public bool UseDane { get; init; } = true;

    /// <summary>Where MTA-STS policies come from (RFC 8461); null: MTA-STS is not used.</summary>
    public MtaSts.MtaStsPolicySource? MtaSts { get; init; }

    /// <summary>Roots trusted besides the system's for MX certificates under MTA-STS (a private CA; tests).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2Collection? ExtraTrustedRoots { get; init; }

    /// <summary>Where outbound TLS outcomes are counted for TLS-RPT (RFC 8460); null counts nothing.</summary>
    public TlsRpt.TlsReportCollector? TlsReports { get; init; }

    /// <summary>The wait after <paramref name="attempts"/> failed attempts.</summary>
    public TimeSpan RetryDelay(int attempts)
    {
        if (RetryIntervals.Count == 0)
        {
            return TimeSpan.FromMinutes(30);
        }

        return RetryIntervals[Math.Clamp(attempts - 1, 0, RetryIntervals.Count - 1)];
    }
}
