using Keypost.Imap.Diagnostics;
using Keypost.Mail.Diagnostics;

namespace Keypost.Server.Mail;

/// <summary>Lets IMAP report into the one <see cref="MailMetrics"/> meter without Keypost.Imap depending on Keypost.Mail.</summary>
internal sealed class ImapMetricsAdapter(MailMetrics metrics) : IImapMetrics
{
    public void ImapSessionStarted() => metrics.ImapSessionStarted();

    public void ImapSessionEnded() => metrics.ImapSessionEnded();

    public void ImapLogin(bool success) => metrics.ImapLogin(success);

    public void ConnectionRefused(string limit) => metrics.ConnectionRefused("imap", limit);

    public void LoginFailure(bool blocked) => metrics.LoginFailure("imap", blocked);

    public void LoginRefused() => metrics.LoginRefused("imap");
}
