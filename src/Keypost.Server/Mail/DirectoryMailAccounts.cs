using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.Directory.Storage;
using Keypost.Mail;
using Keypost.Store;

namespace Keypost.Server.Mail;

/// <summary>
/// The directory's domains and accounts as mail sees them: the one place Mail meets Directory. Password checks go
/// through <paramref name="hashGate"/> (shared by every protocol of the host), so parallel guessing queues instead of
/// holding one Argon2id memory cost per attempt.
/// </summary>
/// <param name="serviceAddresses">
/// Addresses that receive mail without a mailbox of their own (canonical form): the WKS submission addresses,
/// whose mail the host hands to the directory.
/// </param>
public sealed class DirectoryMailAccounts(DirectoryStore store, PasswordHashGate hashGate, IReadOnlySet<string>? serviceAddresses = null) : IMailAccounts
{
    // Unknown users cost as much as wrong passwords, so timing does not tell which addresses exist.
    private readonly string _decoyHash = new PasswordHasher().Hash(Guid.NewGuid().ToString());

    public Task<bool> IsHostedDomainAsync(string domain, CancellationToken cancellationToken) =>
        store.IsHostedDomainAsync(domain.ToLowerInvariant(), cancellationToken);

    /// <summary>An account receives mail once it has a password (a mailbox); publishing a key alone makes none.</summary>
    public async Task<bool> AccountExistsAsync(EmailAddress address, CancellationToken cancellationToken) =>
        serviceAddresses?.Contains(address.Canonical) == true
        || await store.GetPasswordHashAsync(address, cancellationToken) is not null;

    public async Task<EmailAddress?> AuthenticateAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var hash = EmailAddress.TryParse(userName, out var address, out _)
            ? await store.GetPasswordHashAsync(address!, cancellationToken)
            : null;
        var matches = await hashGate.VerifyAsync(password, hash ?? _decoyHash, cancellationToken);
        return hash is not null && matches ? address : null;
    }
}
