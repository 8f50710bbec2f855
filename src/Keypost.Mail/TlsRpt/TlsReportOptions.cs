using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Mail.TlsRpt;

public sealed class TlsReportOptions
{
    /// <summary>RFC 8460 §4.4 organization-name, and the submitter in the report's subject and file name (§5.1, §5.3).</summary>
    public required string Organization { get; init; }

    /// <summary>RFC 8460 §4.4 contact-info; also the From of mailed reports.</summary>
    public required string Contact { get; init; }

    /// <summary>This host's name (message ids).</summary>
    public required string HostName { get; init; }

    /// <summary>HTTPS report delivery (rua=https:...); null: a plain client.</summary>
    public HttpClient? Http { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
