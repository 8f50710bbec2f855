using Keypost.Store.Maildir;
using Keypost.Testing;

namespace Keypost.Store.Tests.Contract;

/// <summary>The store contract on Maildir++ (the single-node default).</summary>
public sealed class MaildirMailStoreTests : MailStoreContract
{
    private readonly TempDirectory _directory = new("keypost-maildir");

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }

    protected override Task<IMailStore> CreateStoreAsync() => Task.FromResult<IMailStore>(new MaildirStore(_directory.Path));
}
