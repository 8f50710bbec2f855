namespace Keypost.Mail.Authentication;

/// <summary>One MX record: lower preference is tried first; the exchange is a host name without the trailing dot.</summary>
public sealed record MxHost(int Preference, string Exchange);
