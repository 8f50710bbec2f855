namespace Keypost.Imap;

/// <summary>How an IMAP endpoint uses TLS.</summary>
public enum ImapTlsMode
{
    /// <summary>Plaintext greeting, STARTTLS offered (RFC 9051 §6.2.1): port 143.</summary>
    StartTls,

    /// <summary>TLS from the first byte (RFC 8314 §3.3): port 993.</summary>
    Implicit,
}
