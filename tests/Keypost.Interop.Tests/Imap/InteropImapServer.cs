using System.Globalization;
using System.Net;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Interop.Tests.Smtp;
using Keypost.Imap;
using Keypost.Store.Maildir;
using Keypost.Testing;
using Keypost.Testing.Mail;

namespace Keypost.Interop.Tests.Imap;

/// <summary>An IMAP listener on loopback (implicit TLS) over a temporary Maildir root, Luke hosted.</summary>
public sealed class InteropImapServer : IAsyncDisposable
{
    public const string Luke = "luke@jedi.test";
    public const string LukePassword = "use-the-force";

    private readonly TempDirectory _root;

    private InteropImapServer(ImapListener listener, MaildirStore store, TempDirectory root)
    {
        Listener = listener;
        Store = store;
        _root = root;
    }

    public ImapListener Listener { get; }

    public MaildirStore Store { get; }

    public string Port => Listener.LocalEndPoints[0].Port.ToString(CultureInfo.InvariantCulture);

    public string StartTlsPort => Listener.LocalEndPoints[1].Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<InteropImapServer> StartAsync()
    {
        var root = new TempDirectory("keypost-imap");
        var store = new MaildirStore(root.Path);
        var options = new ImapListenerOptions
        {
            HostName = "imap.jedi.test",
            Certificate = TestCertificate.Create("imap.jedi.test"),
            AuthFailureDelay = TimeSpan.Zero,
            Endpoints =
            [
                new ImapEndpoint(new IPEndPoint(IPAddress.Loopback, 0), ImapTlsMode.Implicit),
                new ImapEndpoint(new IPEndPoint(IPAddress.Loopback, 0), ImapTlsMode.StartTls),
            ],
        };
        var listener = new ImapListener(options, new FakeMailAccounts("jedi.test").Add(Luke, LukePassword), store);
        await listener.StartAsync(CancellationToken.None);
        return new InteropImapServer(listener, store, root);
    }

    public Task<string> DeliverAsync(string subject, string body) =>
        Store.DeliverAsync(
            EmailAddress.Parse(Luke),
            new MemoryStream(Encoding.UTF8.GetBytes("From: <leia@rebel.test>\r\nTo: <luke@jedi.test>\r\nSubject: " + subject + "\r\n\r\n" + body + "\r\n")),
            CancellationToken.None);

    public string LukeMaildir => Store.GetMaildirPath(EmailAddress.Parse(Luke));

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        Store.Dispose();
        _root.Dispose();
    }
}
