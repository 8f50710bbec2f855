using System.Security.Cryptography.X509Certificates;
using Keypost.Core.Abuse;
using Keypost.Mail.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Mail.Smtp;

/// <summary>Configuration of an <see cref="SmtpListener"/>; the defaults suit a public server.</summary>
public sealed class SmtpListenerOptions
{
    /// <summary>The name in the greeting and the EHLO reply (RFC 5321 §4.3.1).</summary>
    public required string HostName { get; init; }

    public IReadOnlyList<SmtpEndpoint> Endpoints { get; init; } = [];

    /// <summary>Certificate with private key; required when any endpoint uses TLS.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>
    /// Where each handshake takes its certificate, when it can change while the listener runs (ACME renewal);
    /// null: <see cref="Certificate"/> always.
    /// </summary>
    public Func<X509Certificate2>? CertificateSource { get; init; }

    /// <summary>The certificate for a handshake starting now.</summary>
    public X509Certificate2? CurrentCertificate => CertificateSource?.Invoke() ?? Certificate;

    /// <summary>Largest message accepted, in octets after dot-unstuffing (advertised as SIZE, RFC 1870).</summary>
    public long MaxMessageSize { get; init; } = 25L * 1024 * 1024;

    /// <summary>RFC 5321 §4.5.3.1.8 asks for at least 100.</summary>
    public int MaxRecipients { get; init; } = 100;

    /// <summary>Messages one authenticated account may submit per minute, over all its sessions.</summary>
    public int SubmissionMessagesPerMinute { get; init; } = 30;

    /// <summary>Wait for a command line; RFC 5321 §4.5.3.2.7 suggests 5 minutes.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Wait for each read of message data; RFC 5321 §4.5.3.2.6 suggests 3 minutes per block.</summary>
    public TimeSpan DataTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Rejected commands before the session is closed with 421.</summary>
    public int MaxErrors { get; init; } = 20;

    /// <summary>Failed AUTH attempts before the session is closed with 421.</summary>
    public int MaxAuthFailures { get; init; } = 3;

    /// <summary>
    /// Pause before answering the first failed AUTH, to slow password guessing; it doubles with the failures of the
    /// address or account (see <see cref="LoginThrottle"/>). Used only when no <see cref="LoginThrottle"/> is given.
    /// </summary>
    public TimeSpan AuthFailureDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Failed logins counted per client address and per account across sessions; pass the host's one instance to
    /// share it with IMAP. Null makes one for this listener from <see cref="AuthFailureDelay"/> and the defaults.
    /// </summary>
    public LoginThrottle? LoginThrottle { get; init; }

    /// <summary>
    /// Counters shared by the nodes of a PostgreSQL installation: connections per minute per address are then counted
    /// across every node (docs/postgres.md). Null on a single node.
    /// </summary>
    public ISharedAbuseCounters? SharedCounters { get; init; }

    /// <summary>Concurrent sessions over all endpoints; more get 421 at once.</summary>
    public int MaxSessions { get; init; } = 1000;

    /// <summary>Concurrent sessions from one client address (Postfix: smtpd_client_connection_count_limit); more get 421.</summary>
    public int MaxSessionsPerAddress { get; init; } = 20;

    /// <summary>
    /// New connections one client address may open per minute, refused ones included (Postfix:
    /// smtpd_client_connection_rate_limit); more get 421 4.7.0. 0: no limit.
    /// </summary>
    public int ConnectionsPerMinutePerAddress { get; init; }


    /// <summary>How long a closing session keeps reading (and dropping) input so the client gets the last reply.</summary>
    public TimeSpan CloseLinger { get; init; } = TimeSpan.FromSeconds(2);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the one line per transaction and every unexpected session error go.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Session and transaction counters; null measures nothing.</summary>
    public MailMetrics? Metrics { get; init; }
}
