using Keypost.Core.Addresses;
using Keypost.Mail;
using Keypost.Store;

namespace Keypost.Testing.Mail;

/// <summary>Accounts in a dictionary with plain passwords; the user name is the address.</summary>
public sealed class FakeMailAccounts : IMailAccounts
{
    private readonly HashSet<string> _domains;
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);
    private int _authentications;

    public FakeMailAccounts(params string[] domains)
    {
        _domains = new HashSet<string>(domains, StringComparer.Ordinal);
    }

    public FakeMailAccounts Add(string address, string password)
    {
        _passwords[EmailAddress.Parse(address).Canonical] = password;
        return this;
    }

    /// <summary>When set, every call throws it: a failing accounts store, as seen from a session.</summary>
    public Exception? Failure { get; set; }

    /// <summary>Password checks so far: what a real store would spend a hash on.</summary>
    public int AuthenticationCount => Volatile.Read(ref _authentications);

    public Task<bool> IsHostedDomainAsync(string domain, CancellationToken cancellationToken) =>
        Failure is { } failure ? Task.FromException<bool>(failure) : Task.FromResult(_domains.Contains(domain));

    public Task<bool> AccountExistsAsync(EmailAddress address, CancellationToken cancellationToken) =>
        Failure is { } failure ? Task.FromException<bool>(failure) : Task.FromResult(_passwords.ContainsKey(address.Canonical));

    public Task<EmailAddress?> AuthenticateAsync(string userName, string password, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _authentications);
        if (Failure is { } failure)
        {
            return Task.FromException<EmailAddress?>(failure);
        }

        var ok = EmailAddress.TryParse(userName, out var address, out _)
                 && _passwords.TryGetValue(address!.Canonical, out var expected)
                 && expected == password;
        return Task.FromResult(ok ? address : null);
    }
}
