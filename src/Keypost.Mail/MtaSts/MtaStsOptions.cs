using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Keypost.Mail.MtaSts;

public sealed class MtaStsOptions
{
    /// <summary>The HTTPS port of <c>mta-sts.&lt;domain&gt;</c> (443; tests use another).</summary>
    public int HttpsPort { get; init; } = 443;

    /// <summary>How long one policy fetch may take (RFC 8461 §3.3 suggests about a minute at most).</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Roots trusted besides the system's (a private CA); null: the system's only.</summary>
    public X509Certificate2Collection? ExtraTrustedRoots { get; init; }

    /// <summary>
    /// Where fetched policies are kept across restarts (RFC 8461 §5.1); null keeps them in memory only. The caller
    /// opens and disposes it.
    /// </summary>
    public MtaStsPolicyCache? Cache { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
