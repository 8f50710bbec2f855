using Keypost.Core.Addresses;

namespace Keypost.Store;

/// <summary>
/// In charge of every account's mailboxes: delivery writes through it and IMAP reads and changes through it, so the
/// on-disk format has one owner. The Maildir++ implementation is <see cref="Maildir.MaildirStore"/>; a
/// PostgreSQL-backed store implements the same interfaces.
/// </summary>
public interface IMailStore
{
    /// <summary>
    /// Delivers <paramref name="prefix"/> (e.g. a Return-Path header) followed by the message into
    /// <paramref name="folder"/> (created when missing), or INBOX when null; durable before it returns.
    /// </summary>
    /// <exception cref="ArgumentException">The folder is not a name delivery may use (<see cref="MailboxNames.IsDeliveryFolder"/>).</exception>
    Task DeliverAsync(EmailAddress recipient, string? folder, ReadOnlyMemory<byte> prefix, Stream message, CancellationToken cancellationToken);

    /// <summary>The account's mailboxes (INBOX exists once anything was delivered or the account was opened).</summary>
    IAccountMailboxes OpenAccount(EmailAddress account);
}
