using Keypost.Core.Addresses;
using Keypost.Store;

namespace Keypost.Mail.Tests.Support;

/// <summary>Hosted domains and accounts for tests.</summary>
public sealed class FakeAccounts : IMailAccounts
{
    private readonly HashSet<string> domains;
    private readonly HashSet<string> accounts;

    public FakeAccounts(IEnumerable<string> domains, IEnumerable<string> accounts)
    {
        this.domains = new HashSet<string>(domains, StringComparer.OrdinalIgnoreCase);
        this.accounts = new HashSet<string>(accounts.Select(a => EmailAddress.Parse(a).Canonical), StringComparer.Ordinal);
    }

    public Task<bool> IsHostedDomainAsync(string domain, CancellationToken cancellationToken) => Task.FromResult(domains.Contains(domain));

    public Task<bool> AccountExistsAsync(EmailAddress address, CancellationToken cancellationToken) => Task.FromResult(accounts.Contains(address.Canonical));

    public Task<EmailAddress?> AuthenticateAsync(string userName, string password, CancellationToken cancellationToken) => Task.FromResult<EmailAddress?>(null);
}
