using Keypost.Core.Addresses;
using Keypost.Directory.Accounts;
using Keypost.Server.Configuration;
using Keypost.Server.Hosting;

namespace Keypost.Interop.Tests.Transport;

/// <summary>One domain's Keypost server running in the test process, restartable on the same configuration.</summary>
public sealed class MailNode : IAsyncDisposable
{
    private MailNode(KeypostConfig config, KeypostServer server)
    {
        Config = config;
        Server = server;
    }

    public KeypostConfig Config { get; }

    public KeypostServer Server { get; private set; }

    public static async Task<MailNode> StartAsync(KeypostConfig config) =>
        new(config, await KeypostServer.StartAsync(config, CancellationToken.None));

    /// <summary>A clean stop and a fresh start: the queue and mailboxes are reopened from disk.</summary>
    public async Task RestartAsync()
    {
        await Server.DisposeAsync();
        Server = await KeypostServer.StartAsync(Config, CancellationToken.None);
    }

    public Task AddAccountAsync(string address, string password) =>
        Server.Store.SetPasswordHashAsync(EmailAddress.Parse(address), new PasswordHasher().Hash(password), CancellationToken.None);

    public string Maildir(string address) => NodeConfig.Maildir(Config, address);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
