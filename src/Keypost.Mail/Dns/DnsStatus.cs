namespace Keypost.Mail.Dns;

/// <summary>How a DNS question ended, in the terms mail cares about.</summary>
public enum DnsStatus
{
    /// <summary>The name exists and has records of the asked type.</summary>
    Ok,

    /// <summary>The name exists but has no records of the asked type (NOERROR, empty answer).</summary>
    NoData,

    /// <summary>The name does not exist (RCODE 3): a permanent answer.</summary>
    NxDomain,

    /// <summary>SERVFAIL, REFUSED, a timeout or a network error: ask again later.</summary>
    TemporaryFailure,
}
