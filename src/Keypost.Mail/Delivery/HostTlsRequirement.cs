namespace Keypost.Mail.Delivery;

/// <summary>What a connection to one MX host must achieve before mail goes over it.</summary>
internal enum HostTlsRequirement
{
    /// <summary>RFC 7435: STARTTLS when offered, any certificate; clear text otherwise.</summary>
    Opportunistic,

    /// <summary>RFC 7672 §2.2: DNSSEC-secure TLSA records: STARTTLS required, the chain must match them.</summary>
    Dane,

    /// <summary>RFC 7672 §2.2: secure TLSA records, none usable: STARTTLS required, the certificate unchecked.</summary>
    DaneUnusable,

    /// <summary>RFC 7672 §2.1.1: the TLSA lookup failed (e.g. a bogus answer): the host is not used for now.</summary>
    DaneLookupFailed,

    /// <summary>RFC 8461 §4: the host is named in an MTA-STS policy: STARTTLS and a valid Web PKI certificate.</summary>
    MtaSts,

    /// <summary>
    /// RFC 8689 §4.2.1: a REQUIRETLS message to a host without DANE: STARTTLS and a Web PKI certificate valid for the
    /// MX name (RFC 6125), whatever the domain publishes. Nothing to report in TLS-RPT: no policy asked for it.
    /// </summary>
    Pkix,
}
