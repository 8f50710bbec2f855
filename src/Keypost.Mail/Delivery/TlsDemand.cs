namespace Keypost.Mail.Delivery;

/// <summary>What one message asks of the transport to its recipient's domain (RFC 8689).</summary>
internal enum TlsDemand
{
    /// <summary>The domain's policy (DANE, MTA-STS, else opportunistic TLS).</summary>
    Policy,

    /// <summary>Sent with REQUIRETLS: authenticated TLS and REQUIRETLS at the next hop, or a 5.7.30 bounce.</summary>
    RequireTls,

    /// <summary>A DSN of a REQUIRETLS message: the domain's policy, with REQUIRETLS passed on where offered.</summary>
    OfferRequireTls,

    /// <summary>"TLS-Required: No": the domain's policy ignored, STARTTLS used when offered.</summary>
    PolicyIgnored,
}
