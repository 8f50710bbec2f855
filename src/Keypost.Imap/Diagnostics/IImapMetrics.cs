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
}
