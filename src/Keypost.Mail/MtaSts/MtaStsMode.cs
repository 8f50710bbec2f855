namespace Keypost.Mail.MtaSts;

/// <summary>RFC 8461 §5: what a sender does with a policy.</summary>
public enum MtaStsMode
{
    /// <summary>No policy in force: deliver as if there were none.</summary>
    None,

    /// <summary>Deliver even when validation fails, but report the failure (TLS-RPT).</summary>
    Testing,

    /// <summary>Deliver only to MX hosts in the policy, over TLS with a valid certificate; otherwise defer.</summary>
    Enforce,
}
