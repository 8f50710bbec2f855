using System.Security.Cryptography.X509Certificates;
using Keypost.Imap.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Imap;

/// <summary>Configuration of an <see cref="ImapListener"/>; the defaults suit a public server.</summary>
public sealed class ImapListenerOptions
{
    /// <summary>The host name clients connect to (used in log-free responses such as BYE).</summary>
    public required string HostName { get; init; }

    public IReadOnlyList<ImapEndpoint> Endpoints { get; init; } = [];

    /// <summary>Certificate with private key; every endpoint uses TLS (RFC 8314: passwords only inside TLS).</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>
    /// Where each handshake takes its certificate, when it can change while the listener runs (ACME renewal);
    /// null: <see cref="Certificate"/> always.
    /// </summary>
    public Func<X509Certificate2>? CertificateSource { get; init; }

    /// <summary>The certificate for a handshake starting now.</summary>
    public X509Certificate2 CurrentCertificate => CertificateSource?.Invoke() ?? Certificate;

    /// <summary>Applied to every APPENDed message before it is stored; null stores it as given.</summary>
    public Keypost.Store.IAppendedMessageFilter? AppendFilter { get; init; }

    /// <summary>Largest literal accepted (an APPENDed message); larger ones get NO [TOOBIG].</summary>
    public long MaxMessageSize { get; init; } = 25L * 1024 * 1024;

    /// <summary>Longest command text outside literals; longer gets BAD and the connection closes.</summary>
    public int MaxCommandOctets { get; init; } = 64 * 1024;

    /// <summary>RFC 9051 §5.4: the inactivity autologout timer is at least 30 minutes once logged in.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Before login a silent client is dropped sooner.</summary>
    public TimeSpan PreAuthTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Rejected commands (BAD) before the session ends with BYE.</summary>
    public int MaxErrors { get; init; } = 20;

    /// <summary>Failed logins before the session ends with BYE.</summary>
    public int MaxAuthFailures { get; init; } = 3;

    /// <summary>Pause before answering a failed login, to slow password guessing.</summary>
    public TimeSpan AuthFailureDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Failed logins counted per client address and per account across sessions and protocols; pass the host's one
    /// instance (shared with SMTP AUTH). Null makes one for this listener from <see cref="AuthFailureDelay"/>.
    /// </summary>
    public Keypost.Core.Abuse.LoginThrottle? LoginThrottle { get; init; }

    /// <summary>
    /// Counters shared by the nodes of a PostgreSQL installation: connections per minute per address are then counted
    /// across every node (docs/postgres.md). Null on a single node.
    /// </summary>
    public Keypost.Core.Abuse.ISharedAbuseCounters? SharedCounters { get; init; }

    /// <summary>Concurrent sessions from one client address; more get BYE as the greeting.</summary>
    public int MaxSessionsPerAddress { get; init; } = 20;

    /// <summary>New connections one client address may open per minute, refused ones included; more get BYE. 0: no limit.</summary>
    public int ConnectionsPerMinutePerAddress { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Concurrent sessions over all endpoints; more get BYE at once.</summary>
    public int MaxSessions { get; init; } = 1000;

    /// <summary>Logged-in sessions one account may hold at once (clients open a few: one per folder they watch).</summary>
    public int MaxSessionsPerAccount { get; init; } = 20;

    /// <summary>Where the one line per login and every unexpected session error go.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Session and login counters; null measures nothing.</summary>
    public IImapMetrics? Metrics { get; init; }

    /// <summary>Mailboxes created at first login with their RFC 6154 SPECIAL-USE attribute.</summary>
    public IReadOnlyDictionary<string, string> SpecialUseFolders { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["Sent"] = @"\Sent",
        ["Drafts"] = @"\Drafts",
        ["Trash"] = @"\Trash",
        ["Junk"] = @"\Junk",
    };
}
