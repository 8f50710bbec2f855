namespace Keypost.Mail.Smtp;

/// <summary>How a listener uses TLS.</summary>
public enum SmtpTlsMode
{
    /// <summary>Plaintext only (inbound port 25 without a certificate).</summary>
    None,

    /// <summary>Plaintext greeting, STARTTLS offered (RFC 3207): port 25 and 587.</summary>
    StartTls,

    /// <summary>TLS from the first byte (RFC 8314 §3.3): port 465.</summary>
    Implicit,
}
