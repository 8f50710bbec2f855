using Keypost.Mail.Dkim;
using Keypost.Mail.Tests.Support;
using Keypost.Testing;

namespace Keypost.Mail.Tests.Dkim;

/// <summary>One key directory for rebel.test shared by a test class (RSA generation is the slow part).</summary>
public sealed class DkimFixture : IAsyncLifetime
{
    public TempDirectory Directory { get; } = new("keypost-dkim");

    public DkimKeyStore Store { get; private set; } = null!;

    public DkimDomainKeys Keys { get; private set; } = null!;

    public DkimSigningService Signer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = new DkimKeyStore(Directory.Combine("dkim"));
        Keys = await Store.GetOrCreateAsync("rebel.test", CancellationToken.None);
        Signer = new DkimSigningService(Store);
    }

    /// <summary>A zone publishing rebel.test's two DKIM keys.</summary>
    public FakeDns Dns() => new FakeDns()
        .Txt(Keys.Ed25519.DnsName, Keys.Ed25519.TxtRecord)
        .Txt(Keys.Rsa.DnsName, Keys.Rsa.TxtRecord);

    public Task DisposeAsync()
    {
        Directory.Dispose();
        return Task.CompletedTask;
    }
}
