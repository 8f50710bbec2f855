namespace Keypost.Mail.Dmarc;

/// <summary>Identifier alignment mode (RFC 7489 §3.1): relaxed compares organizational domains, strict the exact names.</summary>
public enum DmarcAlignment
{
    Relaxed,
    Strict,
}
