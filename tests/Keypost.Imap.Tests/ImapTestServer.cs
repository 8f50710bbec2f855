using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Imap;
using Keypost.Store;
using Keypost.Store.Maildir;
using Keypost.Store.Postgres;
using Keypost.Testing;
using Keypost.Testing.Postgres;
using MailKit.Net.Imap;
using MailKit.Security;
using Npgsql;
using Keypost.Testing.Mail;

namespace Keypost.Imap.Tests;

/// <summary>
/// An IMAP listener on loopback (STARTTLS endpoint, implicit TLS endpoint) over a temporary Maildir root, or over a
/// fresh PostgreSQL database (<see cref="StartOnPostgresAsync"/>) for the suites that run on both stores.
/// </summary>
public sealed class ImapTestServer : IAsyncDisposable
{
    public const string Luke = "luke@jedi.test";
    public const string LukePassword = "use-the-force";

    private readonly TempDirectory? _owned;
    private readonly Func<ValueTask>? _closeStore;

    private ImapTestServer(ImapListener listener, IMailStore store, TempDirectory? owned, FakeMailAccounts accounts, Func<ValueTask>? closeStore)
    {
        Listener = listener;
        Store = store;
        _owned = owned;
        Accounts = accounts;
        _closeStore = closeStore;
    }

    public FakeMailAccounts Accounts { get; }

    public ImapListener Listener { get; }

    public IMailStore Store { get; }

    public IPEndPoint StartTls => Listener.LocalEndPoints[0];

    public IPEndPoint Implicit => Listener.LocalEndPoints[1];

    public string LukeMaildir => Store is MaildirStore maildir
        ? maildir.GetMaildirPath(EmailAddress.Parse(Luke))
        : throw new InvalidOperationException("this test server keeps its mail in PostgreSQL, not in a Maildir");

    /// <summary>Starts a server over <paramref name="root"/> (a fresh temporary directory when null).</summary>
    public static Task<ImapTestServer> StartAsync(string? root = null, Func<ImapListenerOptions, ImapListenerOptions>? configure = null)
    {
        var owned = root is null ? new TempDirectory("keypost-imap") : null;
        return StartAsync(new MaildirStore(root ?? owned!.Path), owned, null, configure);
    }

    /// <summary>Starts a server whose mail store is a fresh database of the test run's PostgreSQL cluster.</summary>
    public static async Task<ImapTestServer> StartOnPostgresAsync(Func<ImapListenerOptions, ImapListenerOptions>? configure = null)
    {
        var cluster = await PostgresCluster.GetAsync();
        var connectionString = await cluster.CreateDatabaseAsync();
        var source = NpgsqlDataSource.Create(connectionString);
        var store = await PostgresMailStore.OpenAsync(source, null, CancellationToken.None);
        return await StartAsync(store, null, async () =>
        {
            await store.DisposeAsync();
            await source.DisposeAsync();
            await cluster.DropDatabaseAsync(connectionString);
        }, configure);
    }

    private static async Task<ImapTestServer> StartAsync(IMailStore store, TempDirectory? owned, Func<ValueTask>? closeStore, Func<ImapListenerOptions, ImapListenerOptions>? configure)
    {
        var accounts = new FakeMailAccounts("jedi.test").Add(Luke, LukePassword).Add("obiwan@jedi.test", "ben");
        var options = new ImapListenerOptions
        {
            HostName = "imap.jedi.test",
            Certificate = TestCertificate.Create("imap.jedi.test"),
            AuthFailureDelay = TimeSpan.Zero,
            Endpoints =
            [
                new ImapEndpoint(new IPEndPoint(IPAddress.Loopback, 0), ImapTlsMode.StartTls),
                new ImapEndpoint(new IPEndPoint(IPAddress.Loopback, 0), ImapTlsMode.Implicit),
            ],
        };
        var listener = new ImapListener(configure?.Invoke(options) ?? options, accounts, store);
        await listener.StartAsync(CancellationToken.None);
        return new ImapTestServer(listener, store, owned, accounts, closeStore);
    }

    public Task DeliverAsync(string message) =>
        Store.DeliverAsync(EmailAddress.Parse(Luke), null, ReadOnlyMemory<byte>.Empty, new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);

    /// <summary>A MailKit client logged in as Luke over implicit TLS.</summary>
    public async Task<ImapClient> ClientAsync()
    {
        var client = new ImapClient { ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", Implicit.Port, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync(Luke, LukePassword);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        if (_closeStore is not null)
        {
            await _closeStore();
        }
        else if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }

        _owned?.Dispose();
    }
}
