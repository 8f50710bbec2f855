namespace Keypost.Mail.Smtp;

/// <summary>What every session of one listener shares.</summary>
internal sealed record SmtpSessionContext(
    SmtpListenerOptions Options,
    IMailAccounts Accounts,
    IMessageAcceptor Acceptor,
    SubmissionRateLimiter RateLimiter);
