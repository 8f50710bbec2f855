using Keypost.Core.Addresses;
using Keypost.Store;

namespace Keypost.Store;

/// <summary>
/// The accounts and domains this server hosts, as mail needs to see them. Implemented by the host over the
/// directory's store: Mail does not depend on Directory.
/// </summary>
public interface IMailAccounts
{
    Task<bool> IsHostedDomainAsync(string domain, CancellationToken cancellationToken);

    Task<bool> AccountExistsAsync(EmailAddress address, CancellationToken cancellationToken);

    /// <summary>The account's address when the password is right, otherwise null.</summary>
    Task<EmailAddress?> AuthenticateAsync(string userName, string password, CancellationToken cancellationToken);
}
