using Keypost.Core.Abuse;
using Microsoft.Extensions.Logging;
using Keypost.Store;

namespace Keypost.Mail.Smtp;

/// <summary>
/// What every session of one listener shares. <paramref name="Draining"/> fires when the listener stops
/// gracefully: a session between transactions then says 421 and closes, one inside a transaction finishes it first.
/// </summary>
internal sealed record SmtpSessionContext(
    SmtpListenerOptions Options,
    IMailAccounts Accounts,
    IMessageAcceptor Acceptor,
    SubmissionRateLimiter RateLimiter,
    LoginThrottle LoginThrottle,
    ILogger Logger,
    CancellationToken Draining);
