using System.Net;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Keypost.Core.Addresses;
using Keypost.Fuzz.Support;
using Keypost.Imap;
using Keypost.Store;
using Keypost.Store.Maildir;
using Keypost.Net;
using Keypost.Testing;
using Keypost.Testing.Mail;

namespace Keypost.Fuzz.Targets;

/// <summary>
/// A whole IMAP session per input: the harness logs in and selects INBOX (five seed messages, a fresh copy of the
/// mailbox each time), then sends <c>prefix + input</c> and LOGOUT. The tokenizer, every command parser and the
/// FETCH writer are reached as a client would reach them. A finding: a command that failed inside the server
/// (NO [SERVERBUG], logged at Error), BYE Internal error, or a session that does not end.
/// </summary>
internal sealed class ImapSessionHarness : IDisposable
{
    private const string Luke = "luke@jedi.test";
    private const string Password = "use-the-force";

    private readonly TempDirectory _template = new("keypost-fuzz-imap");
    private readonly X509Certificate2 _certificate = TestCertificate.Create("imap.fuzz.test");
    private readonly FakeMailAccounts _accounts = new FakeMailAccounts("jedi.test").Add(Luke, Password).Add("obiwan@jedi.test", "ben");
    private readonly RecordingLogger _logger = new();
    private readonly LoopbackSession _loopback = new();

    public ImapSessionHarness()
    {
        var store = new MaildirStore(_template.Path);
        foreach (var message in SeedMessages.All)
        {
            store.DeliverAsync(EmailAddress.Parse(Luke), new MemoryStream(message), CancellationToken.None).GetAwaiter().GetResult();
        }

        store.DeliverAsync(EmailAddress.Parse(Luke), "Archive", ReadOnlyMemory<byte>.Empty, new MemoryStream(SeedMessages.All[0]), CancellationToken.None).GetAwaiter().GetResult();

        // One session on the template itself, so the UID lists exist before it is copied: otherwise every input
        // would pay for writing them durably (fsync) on its first SELECT.
        Session(_template.Path, "S2 SELECT Archive\r\n", []);
    }

    public void Run(string prefix, byte[] input)
    {
        // A fresh copy of the mailboxes for each input, in memory where the machine has a tmpfs: the session fsyncs
        // what it writes, which on a disk costs more than the session.
        var root = Path.Combine(System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "keypost-fuzz-imap-" + Guid.NewGuid().ToString("N"));
        try
        {
            CopyTree(_template.Path, root);
            Session(root, prefix, input);
        }
        finally
        {
            System.IO.Directory.Delete(root, recursive: true);
        }
    }

    // Fuzz input may fail logins over and over: never slow or block the harness's one client address.
    private readonly Keypost.Core.Abuse.LoginThrottle _noThrottle = new(
        new Keypost.Core.Abuse.LoginThrottleOptions { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, AddressBlockThreshold = int.MaxValue },
        TimeProvider.System);

    private void Session(string root, string prefix, byte[] input)
    {
        var options = new ImapListenerOptions
        {
            HostName = "imap.fuzz.test",
            Certificate = _certificate,
            AuthFailureDelay = TimeSpan.Zero,
            MaxMessageSize = 1024 * 1024,
        };
        using var store = new MaildirStore(root);
        var context = new ImapSessionContext(options, _accounts, store, new AccountSessionLimiter(options.MaxSessionsPerAccount), _noThrottle, _logger);
        var endpoint = new ImapEndpoint(new IPEndPoint(IPAddress.Loopback, 0), ImapTlsMode.StartTls);
        var script = new MemoryStream();
        script.Write(Encoding.ASCII.GetBytes("L LOGIN " + Luke + " " + Password + "\r\nS SELECT INBOX\r\n" + prefix));
        script.Write(input);
        script.Write("\r\nZZ LOGOUT\r\n"u8);
        _logger.Clear();

        var output = _loopback.Run(script.ToArray(), async (socket, cancellationToken) =>
        {
            await using var connection = new ImapConnection(socket);
            MarkSecure(connection);
            await new ImapSession(context, endpoint, connection).RunAsync(cancellationToken);
        });

        _logger.ThrowIfAny();
        var text = Encoding.Latin1.GetString(output);
        if (text.Contains("[SERVERBUG]", StringComparison.Ordinal) || text.Contains("BYE Internal error", StringComparison.Ordinal))
        {
            throw new FuzzFindingException("a command failed inside the server");
        }
    }

    // The session refuses LOGIN without TLS (RFC 9051 §6.2.3); a TLS handshake per input would cost more than
    // the session itself, so the harness marks the plain loopback connection as secure.
    private static void MarkSecure(BufferedConnection connection) =>
        typeof(BufferedConnection).GetProperty(nameof(BufferedConnection.IsSecure), BindingFlags.Instance | BindingFlags.Public)!
            .SetValue(connection, true);

    private static void CopyTree(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var directory in System.IO.Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            System.IO.Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        }
    }

    public void Dispose()
    {
        _loopback.Dispose();
        _certificate.Dispose();
        _template.Dispose();
    }
}
