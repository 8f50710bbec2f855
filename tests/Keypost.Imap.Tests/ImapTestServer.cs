using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Imap;
using Keypost.Store.Maildir;
using Keypost.Testing;
using MailKit.Net.Imap;
using MailKit.Security;
using Keypost.Testing.Mail;

namespace Keypost.Imap.Tests;

/// <summary>An IMAP listener on loopback (STARTTLS endpoint, implicit TLS endpoint) over a temporary Maildir root.</summary>
public sealed class ImapTestServer : IAsyncDisposable
{
    public const string Luke = "luke@jedi.test";
    public const string LukePassword = "use-the-force";

    private ImapTestServer(ImapListener listener, MaildirStore store, TempDirectory? owned, FakeMailAccounts accounts)
    {
        Listener = listener;
        Store = store;
        _owned = owned;
        Accounts = accounts;
    }

    public FakeMailAccounts Accounts { get; }

    private readonly TempDirectory? _owned;

    public ImapListener Listener { get; }

    public MaildirStore Store { get; }

    public IPEndPoint StartTls => Listener.LocalEndPoints[0];

    public IPEndPoint Implicit => Listener.LocalEndPoints[1];

    public string LukeMaildir => Store.GetMaildirPath(EmailAddress.Parse(Luke));

    /// <summary>Starts a server over <paramref name="root"/> (a fresh temporary directory when null).</summary>
    public static async Task<ImapTestServer> StartAsync(string? root = null, Func<ImapListenerOptions, ImapListenerOptions>? configure = null)
    {
        var owned = root is null ? new TempDirectory("keypost-imap") : null;
        var store = new MaildirStore(root ?? owned!.Path);
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
        return new ImapTestServer(listener, store, owned, accounts);
    }

    public Task<string> DeliverAsync(string message) =>
        Store.DeliverAsync(EmailAddress.Parse(Luke), new MemoryStream(Encoding.UTF8.GetBytes(message)), CancellationToken.None);

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
        Store.Dispose();
        _owned?.Dispose();
    }
}
