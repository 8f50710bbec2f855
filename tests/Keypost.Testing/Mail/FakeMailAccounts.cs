using Keypost.Core.Addresses;
using Keypost.Mail;

namespace Keypost.Testing.Mail;

/// <summary>Accounts in a dictionary with plain passwords; the user name is the address.</summary>
public sealed class FakeMailAccounts : IMailAccounts
{
    private readonly HashSet<string> _domains;
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);

    public FakeMailAccounts(params string[] domains)
    {
        _domains = new HashSet<string>(domains, StringComparer.Ordinal);
    }

    public FakeMailAccounts Add(string address, string password)
    {
        _passwords[EmailAddress.Parse(address).Canonical] = password;
        return this;
    }

    public Task<bool> IsHostedDomainAsync(string domain, CancellationToken cancellationToken) =>
        Task.FromResult(_domains.Contains(domain));

    public Task<bool> AccountExistsAsync(EmailAddress address, CancellationToken cancellationToken) =>
        Task.FromResult(_passwords.ContainsKey(address.Canonical));

    public Task<EmailAddress?> AuthenticateAsync(string userName, string password, CancellationToken cancellationToken)
    {
        var ok = EmailAddress.TryParse(userName, out var address, out _)
                 && _passwords.TryGetValue(address!.Canonical, out var expected)
                 && expected == password;
        return Task.FromResult(ok ? address : null);
    }
}
