namespace Keypost.Mail.Dns;

/// <summary>One MX record: an exchange host name (lower case, no trailing dot) and its preference.</summary>
public sealed record MxHost(int Preference, string Host)
{
    /// <summary>RFC 7505 §3: "0 ." — the domain declares it accepts no mail.</summary>
    public bool IsNullMx => Preference == 0 && Host.Length == 0;
}
