using Keypost.Core.Addresses;
using Keypost.Mail;
using Keypost.Store;

namespace Keypost.Testing.Mail;

/// <summary>
/// The one fake accounts store of the tests: hosted domains and accounts in memory with plain passwords (the user
/// name is the address), a count of password checks, and a failure to throw on demand.
/// </summary>
public sealed class FakeMailAccounts : IMailAccounts
{
    private readonly HashSet<string> _domains;
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);
    private int _authentications;

    public FakeMailAccounts(params string[] domains)
    {
        // RFC 5321 §2.4: domain names are case-insensitive.
        _domains = new HashSet<string>(domains, StringComparer.OrdinalIgnoreCase);
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
