namespace Keypost.Imap.Diagnostics;

/// <summary>
/// What IMAP reports to the server's metrics. An interface, so that Imap does not depend on Keypost.Mail (whose
/// <c>MailMetrics</c> the host adapts to it).
/// </summary>
public interface IImapMetrics
{
    void ImapSessionStarted();

    void ImapSessionEnded();

    void ImapLogin(bool success);

    /// <summary>A connection refused at the greeting; <paramref name="limit"/> is total, per_address, rate or login_block.</summary>
    void ConnectionRefused(string limit);

    /// <summary>A failed login counted by the login throttle; <paramref name="blocked"/> when it blocked the address.</summary>
    void LoginFailure(bool blocked);

    /// <summary>A login refused without a password check because its address is blocked.</summary>
    void LoginRefused();
}
