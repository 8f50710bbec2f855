namespace Keypost.Server.Dns;

public enum DnsCheckStatus
{
    /// <summary>Published as expected.</summary>
    Ok,

    /// <summary>Nothing published at that name for that purpose.</summary>
    Missing,

    /// <summary>Something is published, but not what this server needs.</summary>
    Different,

    /// <summary>The resolver failed (SERVFAIL, timeout): try again.</summary>
    Unknown,
}
