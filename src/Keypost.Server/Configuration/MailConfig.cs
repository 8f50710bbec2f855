using System.Text.Json.Serialization;

namespace Keypost.Server.Configuration;

/// <summary>SMTP listeners, delivery and mail authentication. No listener configured means no mail service.</summary>
public sealed class MailConfig
{
    /// <summary>Port 25 listeners (STARTTLS offered): mail for this server's accounts.</summary>
    public List<string> Inbound { get; set; } = [];

    /// <summary>Port 587 listeners: STARTTLS then AUTH (RFC 6409).</summary>
    public List<string> Submission { get; set; } = [];

    /// <summary>Port 465 listeners: implicit TLS then AUTH (RFC 8314).</summary>
    public List<string> SubmissionTls { get; set; } = [];

    /// <summary>IMAP listeners with STARTTLS (port 143, RFC 9051); LOGIN only after TLS.</summary>
    public List<string> Imap { get; set; } = [];

    /// <summary>IMAP listeners with implicit TLS (port 993, RFC 8314).</summary>
    public List<string> ImapTls { get; set; } = [];

    public int MaxImapSessions { get; set; } = 1000;

    public int MaxImapSessionsPerAccount { get; set; } = 20;

    /// <summary>PEM certificate for SMTP and IMAP; defaults to http.certificateFile.</summary>
    public string? CertificateFile { get; set; }

    public string? KeyFile { get; set; }

    public long MaxMessageSize { get; set; } = 25L * 1024 * 1024;

    public int SubmissionMessagesPerMinute { get; set; } = 30;

    /// <summary>SMTP sessions one client address may hold at once (Postfix: smtpd_client_connection_count_limit).</summary>
    public int MaxSmtpSessionsPerAddress { get; set; } = 20;

    /// <summary>
    /// New SMTP connections one client address may open per minute, refused ones included (Postfix:
    /// smtpd_client_connection_rate_limit); more get 421 4.7.0. 0: no limit.
    /// </summary>
    public int SmtpConnectionsPerMinutePerAddress { get; set; } = 120;

    /// <summary>IMAP sessions one client address may hold at once; more get BYE as the greeting.</summary>
    public int MaxImapSessionsPerAddress { get; set; } = 20;

    /// <summary>New IMAP connections one client address may open per minute, refused ones included; more get BYE. 0: no limit.</summary>
    public int ImapConnectionsPerMinutePerAddress { get; set; } = 120;

    /// <summary>Failed logins from one address, over all sessions, before it is blocked for a while.</summary>
    public int LoginFailuresBeforeBlock { get; set; } = 10;

    /// <summary>How long an address is blocked after too many failed logins, in seconds.</summary>
    public int LoginBlockSeconds { get; set; } = 900;

    /// <summary>Password hashes (Argon2id, 19 MiB each) computed at once; the rest queue. 0: one per processor.</summary>
    public int MaxConcurrentPasswordHashes { get; set; }

    /// <summary>Resolvers for MX, SPF, DKIM and DMARC lookups, "IP:port"; empty uses the system's.</summary>
    public List<string> DnsServers { get; set; } = [];

    /// <summary>
    /// The resolvers in <see cref="DnsServers"/> validate DNSSEC and the path to them is trusted (e.g. a local
    /// Unbound on 127.0.0.1): their AD bit is believed, so outbound delivery uses DANE (RFC 7672). Needs dnsServers.
    /// </summary>
    public bool DnssecValidatingResolver { get; set; }

    /// <summary>Apply recipient domains' MTA-STS policies to outbound delivery (RFC 8461).</summary>
    public bool MtaSts { get; set; } = true;

    /// <summary>Our own MTA-STS policy mode, served at mta-sts.&lt;domain&gt;: "enforce", "testing" or "none".</summary>
    public string MtaStsMode { get; set; } = "testing";

    /// <summary>Our own MTA-STS policy's max_age in seconds (RFC 8461 §3.2: at most 31557600).</summary>
    public int MtaStsMaxAgeSeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>Send daily TLS reports (RFC 8460) to recipient domains that ask for them.</summary>
    public bool TlsReports { get; set; } = true;

    /// <summary>Contact in our TLS reports and their From; defaults to postmaster@ the first domain.</summary>
    public string? TlsReportContact { get; set; }

    /// <summary>The port outbound delivery connects to (25; tests use others).</summary>
    public int DeliveryPort { get; set; } = 25;

    /// <summary>Retry intervals in seconds (RFC 5321 §4.5.4.1); the last repeats.</summary>
    public List<int> RetryIntervalSeconds { get; set; } = [300, 600, 1800, 3600, 7200, 14400];

    /// <summary>How long to keep trying before bouncing, in seconds (RFC 5321 §4.5.4.1 suggests 4-5 days).</summary>
    public int GiveUpAfterSeconds { get; set; } = 5 * 24 * 3600;

    /// <summary>Refuse (550) mail whose DMARC policy says reject; otherwise deliver it marked.</summary>
    public bool HonourDmarcReject { get; set; } = true;

    [JsonIgnore]
    public IEnumerable<string> AllListeners => Inbound.Concat(Submission).Concat(SubmissionTls).Concat(Imap).Concat(ImapTls);

    [JsonIgnore]
    public bool Enabled => AllListeners.Any();
}
