namespace Keypost.Mail.Authentication;

/// <summary>How a DNS query ended, in the three ways SPF, DKIM and DMARC tell apart.</summary>
public enum DnsLookupStatus
{
    /// <summary>The name exists and has at least one record of the type asked for.</summary>
    Found,

    /// <summary>NXDOMAIN, or the name exists with no record of that type (NODATA): a "void" lookup (RFC 7208 §4.6.4).</summary>
    NotFound,

    /// <summary>SERVFAIL, timeout or a network error: worth retrying later (temperror in all three protocols).</summary>
    TemporaryError,
}
