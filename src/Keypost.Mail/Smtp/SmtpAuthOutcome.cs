using Keypost.Core.Addresses;

namespace Keypost.Mail.Smtp;

/// <summary>The end of an AUTH exchange: an account, or the reply saying why not; the user name as typed when one was given.</summary>
internal sealed record SmtpAuthOutcome(EmailAddress? Account, SmtpReply? Reply, bool CredentialsRejected, string? UserName = null);
