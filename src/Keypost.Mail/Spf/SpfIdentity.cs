namespace Keypost.Mail.Spf;

/// <summary>Which identity was checked (RFC 7208 §2.3, §2.4): MAIL FROM, or HELO when the reverse-path is null.</summary>
public enum SpfIdentity
{
    MailFrom,
    Helo,
}
