using System.Runtime.CompilerServices;
using Keypost.Core.Addresses;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Keypost.Server.Configuration;

/// <summary>
/// In charge of checking a whole <see cref="KeypostConfig"/> at start: every problem is reported at once, each
/// naming the JSON path of the offending key (<c>mail.submission[1]: '...' is not ...</c>).
/// </summary>
public sealed class KeypostConfigValidator : IValidateOptions<KeypostConfig>
{
    public ValidateOptionsResult Validate(string? name, KeypostConfig options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = Check(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Check(KeypostConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(config.Hostname) || config.Hostname.Any(c => c <= ' ' || c > '~'))
        {
            errors.Add("hostname: must be an ASCII host name");
        }

        if (config.Domains.Count == 0)
        {
            errors.Add("domains: at least one domain is needed");
        }

        for (var i = 0; i < config.Domains.Count; i++)
        {
            var domain = config.Domains[i];
            if (!IsDomainName(domain.Name))
            {
                errors.Add($"domains[{i}].name: '{domain.Name}' is not a domain name");
            }

            if (domain.GatewayDisclaimer is { Length: > Core.PgpMime.PgpMimeDisclaimer.MaxLength })
            {
                errors.Add($"domains[{i}].gatewayDisclaimer: longer than {Core.PgpMime.PgpMimeDisclaimer.MaxLength} characters");
            }

            // draft-koch-openpgp-webkey-service §4.4: the submission address is an address of the domain it serves.
            if (domain.SubmissionAddress is { } submission
                && (!Core.Addresses.EmailAddress.TryParse(submission, out var parsed, out _)
                    || !string.Equals(parsed!.Domain, Core.Addresses.EmailAddress.NormalizeDomain(domain.Name), StringComparison.Ordinal)))
            {
                errors.Add($"domains[{i}].submissionAddress: '{submission}' is not an address in {domain.Name}");
            }
        }

        Listen(errors, "http.listen", config.Http.Listen);
        Listen(errors, "mail.inbound", config.Mail.Inbound);
        Listen(errors, "mail.submission", config.Mail.Submission);
        Listen(errors, "mail.submissionTls", config.Mail.SubmissionTls);
        Listen(errors, "mail.imap", config.Mail.Imap);
        Listen(errors, "mail.imapTls", config.Mail.ImapTls);
        Listen(errors, "mail.dnsServers", config.Mail.DnsServers);
        Listen(errors, "metrics.listen", config.Metrics.Listen);
        Listen(errors, "acme.challengeListen", config.Acme.ChallengeListen);
        if (config.Acme.Enabled)
        {
            if (!Uri.TryCreate(config.Acme.DirectoryUrl, UriKind.Absolute, out var directory) || directory.Scheme != Uri.UriSchemeHttps)
            {
                // RFC 8555 §6.1: ACME is served over HTTPS only.
                errors.Add($"acme.directoryUrl: '{config.Acme.DirectoryUrl}' is not an https:// URL");
            }

            if (config.Acme.ChallengeListen.Count == 0)
            {
                errors.Add("acme.challengeListen: required with acme.directoryUrl (http-01 is answered on port 80)");
            }

            if (config.Http.CertificateFile is null || config.Http.KeyFile is null)
            {
                errors.Add("http.certificateFile: required with acme.directoryUrl (where the certificate is written)");
            }

            Positive(errors, "acme.renewDaysBeforeExpiry", config.Acme.RenewDaysBeforeExpiry);
            Positive(errors, "acme.checkIntervalSeconds", config.Acme.CheckIntervalSeconds);
        }

        if (config.Http.WkdCacheSeconds < 0)
        {
            errors.Add("http.wkdCacheSeconds: must be 0 (no cache) or more");
        }

        if (config.Http.Listen.Count > 0)
        {
            if (config.Http.CertificateFile is null)
            {
                errors.Add("http.certificateFile: required with http.listen (WKD is served over HTTPS only)");
            }

            if (config.Http.KeyFile is null)
            {
                errors.Add("http.keyFile: required with http.listen (WKD is served over HTTPS only)");
            }
        }

        if (config.Mail.Enabled && (config.MailCertificateFile is null || config.MailKeyFile is null))
        {
            errors.Add("mail.certificateFile: mail listeners need a TLS certificate and key (mail.certificateFile and mail.keyFile, or http's)");
        }

        if (config.Mail.DnssecValidatingResolver && config.Mail.DnsServers.Count == 0)
        {
            // RFC 7672 §2.1.1 trusts only a validating resolver on a trusted path; the system's could be anything.
            errors.Add("mail.dnssecValidatingResolver: needs mail.dnsServers naming the validating resolver (e.g. a local Unbound)");
        }

        if (config.Mail.MtaStsMode is not ("enforce" or "testing" or "none"))
        {
            errors.Add($"mail.mtaStsMode: '{config.Mail.MtaStsMode}' is not enforce, testing or none (RFC 8461 §3.2)");
        }

        if (config.Mail.MtaStsMaxAgeSeconds is <= 0 or > 31_557_600)
        {
            errors.Add("mail.mtaStsMaxAgeSeconds: must be between 1 and 31557600 (RFC 8461 §3.2)");
        }

        Positive(errors, "mail.maxMessageSize", config.Mail.MaxMessageSize);
        Positive(errors, "mail.maxImapSessions", config.Mail.MaxImapSessions);
        Positive(errors, "mail.maxImapSessionsPerAccount", config.Mail.MaxImapSessionsPerAccount);
        Positive(errors, "mail.maxSmtpSessionsPerAddress", config.Mail.MaxSmtpSessionsPerAddress);
        Positive(errors, "mail.maxImapSessionsPerAddress", config.Mail.MaxImapSessionsPerAddress);
        if (config.Mail.SmtpConnectionsPerMinutePerAddress < 0)
        {
            errors.Add("mail.smtpConnectionsPerMinutePerAddress must be 0 (no limit) or more");
        }

        if (config.Mail.ImapConnectionsPerMinutePerAddress < 0)
        {
            errors.Add("mail.imapConnectionsPerMinutePerAddress must be 0 (no limit) or more");
        }

        Positive(errors, "mail.loginFailuresBeforeBlock", config.Mail.LoginFailuresBeforeBlock);
        Positive(errors, "mail.loginBlockSeconds", config.Mail.LoginBlockSeconds);
        if (config.Mail.MaxConcurrentPasswordHashes < 0)
        {
            errors.Add("mail.maxConcurrentPasswordHashes must be 0 (one per processor) or more");
        }
        Positive(errors, "mail.submissionMessagesPerMinute", config.Mail.SubmissionMessagesPerMinute);
        Positive(errors, "mail.giveUpAfterSeconds", config.Mail.GiveUpAfterSeconds);
        Positive(errors, "transparency.epochIntervalSeconds", config.Transparency.EpochIntervalSeconds);
        Positive(errors, "transparency.sequenceIntervalSeconds", config.Transparency.SequenceIntervalSeconds);
        if (config.Transparency.MonitorIntervalSeconds < 0)
        {
            errors.Add("transparency.monitorIntervalSeconds: must be 0 (off) or more");
        }

        if (config.Lifecycle.ExpiryReminderIntervalSeconds < 0)
        {
            errors.Add("lifecycle.expiryReminderIntervalSeconds: must be 0 (off) or more");
        }

        if (config.Lifecycle.ExpiryReminderDays.Count == 0 || config.Lifecycle.ExpiryReminderDays.Any(d => d <= 0))
        {
            errors.Add("lifecycle.expiryReminderDays: must list one or more positive numbers of days");
        }

        if (config.Mail.DeliveryPort is < 1 or > 65535)
        {
            errors.Add($"mail.deliveryPort: {config.Mail.DeliveryPort} is not a TCP port");
        }

        for (var i = 0; i < config.Mail.RetryIntervalSeconds.Count; i++)
        {
            Positive(errors, $"mail.retryIntervalSeconds[{i}]", config.Mail.RetryIntervalSeconds[i]);
        }

        if (config.RateLimit.RequestsPerMinute < 0)
        {
            errors.Add("rateLimit.requestsPerMinute: must be 0 (off) or more");
        }

        if (config.DrainSeconds < 0)
        {
            errors.Add("drainSeconds: must be 0 or more");
        }

        Storage(errors, config.Storage);
        if (config.Log.Format is not ("text" or "json"))
        {
            errors.Add($"log.format: '{config.Log.Format}' is neither \"text\" nor \"json\"");
        }

        if (!Enum.TryParse<LogLevel>(config.Log.Level, ignoreCase: true, out _) || int.TryParse(config.Log.Level, out _))
        {
            errors.Add($"log.level: '{config.Log.Level}' is not one of {string.Join(", ", Enum.GetNames<LogLevel>())}");
        }

        return errors;
    }

    private static void Storage(List<string> errors, StorageConfig storage)
    {
        if (storage.Kind is not (StorageConfig.Sqlite or StorageConfig.Postgres))
        {
            errors.Add($"storage.kind: '{storage.Kind}' is neither \"sqlite\" nor \"postgres\"");
        }
        else if (storage.IsPostgres)
        {
            if (string.IsNullOrWhiteSpace(storage.ConnectionString))
            {
                errors.Add("storage.connectionString: required with storage.kind \"postgres\"");
            }
            else
            {
                PostgresConnectionString(errors, storage.ConnectionString);
            }
        }
        else if (storage.ConnectionString is not null)
        {
            errors.Add("storage.connectionString: only with storage.kind \"postgres\"");
        }

        if (storage.QueueLeaseSeconds < 1)
        {
            errors.Add("storage.queueLeaseSeconds: must be more than 0");
        }
    }

    // A method of its own, not inlined: the JIT loads every assembly a method names when it compiles it, and Npgsql
    // (with its dependencies) has no business in the memory of a server on SQLite (docs/benchmarks.md, "Memory").
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PostgresConnectionString(List<string> errors, string connectionString)
    {
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            // The message names the bad keyword; the string itself may carry a password, so it is not repeated.
            errors.Add($"storage.connectionString: not a PostgreSQL connection string ({e.Message})");
        }
    }

    private static void Listen(List<string> errors, string path, List<string> addresses)
    {
        for (var i = 0; i < addresses.Count; i++)
        {
            if (!ListenAddress.TryParse(addresses[i], out _))
            {
                errors.Add($"{path}[{i}]: '{addresses[i]}' is not an address of the form IP:port");
            }
        }
    }

    private static void Positive(List<string> errors, string path, long value)
    {
        if (value <= 0)
        {
            errors.Add($"{path}: must be more than 0");
        }
    }

    private static bool IsDomainName(string name)
    {
        try
        {
            return EmailAddress.NormalizeDomain(name).Length > 0;
        }
        catch (AddressFormatException)
        {
            return false;
        }
    }
}
